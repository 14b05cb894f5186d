-- The chart week of every visible run: the Monday of its extract date's ISO week. DuckDB spelling: its
-- DATE_TRUNC('week', ...) is always ISO (Monday); it has no DAYOFWEEKISO or DATEADD.
CREATE OR REPLACE VIEW run_weeks AS
SELECT
    run_id,
    attempt_id,
    extract_date,
    extracted_at,
    CAST(DATE_TRUNC('week', extract_date) AS DATE) AS chart_week
FROM committed_attempts;
