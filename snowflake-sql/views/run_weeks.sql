-- The chart week of every visible run: the Monday of its extract date's ISO week. Snowflake spelling:
-- DAYOFWEEKISO is 1 for Monday whatever the session's WEEK_START, which DATE_TRUNC('week', ...) follows. The CAST
-- keeps it a DATE wherever DATEADD would widen it to a timestamp.
CREATE OR REPLACE VIEW run_weeks AS
SELECT
    run_id,
    attempt_id,
    extract_date,
    extracted_at,
    CAST(DATEADD(day, 1 - DAYOFWEEKISO(extract_date), extract_date) AS DATE) AS chart_week
FROM committed_attempts;
