-- Finds a missing weekly run: no weekly run (a run id that is not a plays poll's) committed and fully loaded within {{weekly_commit_hours}} hours (never counts as too long: missing data is an alarm).
SELECT
    'committed_attempts' AS table_name,
    'weekly_commit' AS check_name,
    CASE
        WHEN MAX(committed_at) IS NULL THEN 'no weekly run has been committed and loaded yet'
        ELSE 'the last weekly run committed and loaded was committed at ' || CAST(MAX(committed_at) AS VARCHAR)
            || ', more than {{weekly_commit_hours}} hours ago'
    END AS detail
FROM committed_attempts
WHERE NOT REGEXP_LIKE(run_id, '{{plays_run_pattern}}')
HAVING MAX(committed_at) IS NULL
    OR MAX(committed_at) < DATEADD(hour, -{{weekly_commit_hours}}, {{now}})
