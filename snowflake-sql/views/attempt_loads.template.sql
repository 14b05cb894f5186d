-- Per committed attempt and per table its commit record lists: the rows the commit says it wrote and the rows
-- loaded. Rendered from schemas/tables.json (the loaded CTE counts the rows of every data table per attempt).
-- A commit record loaded twice counts once.
CREATE OR REPLACE VIEW attempt_loads AS
WITH commits AS (
    SELECT run_id, attempt_id, extract_date, extracted_at, table_name, row_count, committed_at
    FROM {{commit_table}}
    WHERE table_name IN ({{data_table_names}})
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY run_id, attempt_id, table_name
        ORDER BY loaded_at DESC, source_file DESC
    ) = 1
),
loaded AS (
    {{loaded_row_counts}}
)
SELECT
    c.run_id,
    c.attempt_id,
    c.extract_date,
    c.extracted_at,
    c.committed_at,
    c.table_name,
    c.row_count AS committed_rows,
    COALESCE(l.row_count, 0) AS loaded_rows
FROM commits AS c
LEFT JOIN loaded AS l
    ON l.run_id = c.run_id
    AND l.attempt_id = c.attempt_id
    AND l.table_name = c.table_name;
