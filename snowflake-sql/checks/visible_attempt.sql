-- Guards: each run in scope shows a committed attempt in the views (and, when one is named, that attempt).
-- Per: run
WITH runs AS (
    {{runs_in_scope}}
),
shown AS (
    SELECT r.run_id, v.attempt_id
    FROM runs AS r
    LEFT JOIN committed_attempts AS v
        ON v.run_id = r.run_id
)
SELECT
    'committed_attempts' AS table_name,
    'visible_attempt' AS check_name,
    COALESCE(attempt_id IS NOT NULL AND ({{expected_attempt}} IS NULL OR attempt_id = {{expected_attempt}}), FALSE) AS passed,
    CASE
        WHEN attempt_id IS NULL
            THEN 'run ' || run_id || ' shows no attempt: no commit record loaded, or not all rows its commit lists'
        WHEN {{expected_attempt}} IS NULL OR attempt_id = {{expected_attempt}}
            THEN 'run ' || run_id || ' shows attempt ' || attempt_id
        ELSE 'run ' || run_id || ' shows attempt ' || attempt_id || ', not ' || {{expected_attempt}}
            || ': the newer commit is not loaded yet, or not all of its rows'
    END AS detail
FROM shown
ORDER BY run_id;
