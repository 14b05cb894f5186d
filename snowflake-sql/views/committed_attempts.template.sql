-- The one attempt of each run id the views read: its latest commit whose rows are all loaded. Rendered from
-- schemas/tables.json (the loaded CTE counts the rows of every data table per attempt). An attempt without a commit record (a
-- publish that died midway) is never visible; a committed attempt becomes visible once every row its commit
-- lists is loaded (Snowpipe loads files in no particular order), and a later commit replaces it.
CREATE OR REPLACE VIEW committed_attempts AS
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
),
complete AS (
    SELECT
        c.run_id,
        c.attempt_id,
        MAX(c.extract_date) AS extract_date,
        MAX(c.extracted_at) AS extracted_at,
        MAX(c.committed_at) AS committed_at
    FROM commits AS c
    LEFT JOIN loaded AS l
        ON l.run_id = c.run_id
        AND l.attempt_id = c.attempt_id
        AND l.table_name = c.table_name
    GROUP BY c.run_id, c.attempt_id
    HAVING COUNT_IF(COALESCE(l.row_count, 0) < c.row_count) = 0
)
SELECT run_id, attempt_id, extract_date, extracted_at, committed_at
FROM complete
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY run_id
    ORDER BY committed_at DESC, attempt_id DESC
) = 1;
