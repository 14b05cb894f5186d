-- Guards: each key of schemas/tables.json appears once among the rows of the visible attempts (a second copy double-counts).
-- Per: data table
WITH visible_rows AS (
    SELECT t.*
    FROM {{table}} AS t
    JOIN committed_attempts AS v
        ON v.run_id = t.run_id
        AND v.attempt_id = t.attempt_id
    WHERE t.run_id IN ({{runs_in_scope}})
),
duplicated AS (
    SELECT {{key_text}} AS example
    FROM visible_rows AS t
    GROUP BY {{key_columns}}
    HAVING COUNT(*) > 1
)
SELECT
    '{{table}}' AS table_name,
    'key_unique' AS check_name,
    COUNT(*) = 0 AS passed,
    CASE
        WHEN COUNT(*) = 0 THEN '({{key_names}}) unique in ' || {{scope_text}}
        ELSE CAST(COUNT(*) AS VARCHAR) || ' duplicated ({{key_names}}) in ' || {{scope_text}} || ', e.g. ' || MIN(example)
    END AS detail
FROM duplicated;
