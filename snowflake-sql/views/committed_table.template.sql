-- The rows of a loaded table the views read: those of the visible attempt of each run id (committed_attempts),
-- each key of schemas/tables.json once. A file loaded twice (a recreated pipe forgets what it loaded) shows as more
-- rows loaded than the commit lists; only such attempts pay for the de-duplication. Rendered for every data table
-- of schemas/tables.json as committed_<table>.
CREATE OR REPLACE VIEW committed_{{table}} AS
WITH visible AS (
    SELECT a.run_id, a.attempt_id, l.loaded_rows > l.committed_rows AS loaded_twice
    FROM committed_attempts AS a
    JOIN attempt_loads AS l
        ON l.run_id = a.run_id
        AND l.attempt_id = a.attempt_id
    WHERE l.table_name = '{{table}}'
),
deduplicated AS (
    SELECT t.*
    FROM {{table}} AS t
    JOIN visible AS v
        ON v.run_id = t.run_id
        AND v.attempt_id = t.attempt_id
    WHERE v.loaded_twice
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY {{key_columns}}
        ORDER BY t.loaded_at DESC, t.source_file DESC
    ) = 1
)
SELECT t.*
FROM {{table}} AS t
JOIN visible AS v
    ON v.run_id = t.run_id
    AND v.attempt_id = t.attempt_id
WHERE NOT v.loaded_twice
UNION ALL
SELECT *
FROM deduplicated;
