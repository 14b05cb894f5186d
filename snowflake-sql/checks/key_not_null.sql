-- Guards: no key column that schemas/tables.json declares NOT NULL is null in the visible attempts.
-- Per: data table
SELECT
    '{{table}}' AS table_name,
    'key_not_null' AS check_name,
    COUNT(*) = 0 AS passed,
    CASE
        WHEN COUNT(*) = 0 THEN 'no null in ({{required_names}})'
        ELSE CAST(COUNT(*) AS VARCHAR) || ' rows with a null in ({{required_names}})'
    END AS detail
FROM {{table}} AS t
JOIN committed_attempts AS v
    ON v.run_id = t.run_id
    AND v.attempt_id = t.attempt_id
WHERE t.run_id IN ({{runs_in_scope}})
    AND ({{null_condition}});
