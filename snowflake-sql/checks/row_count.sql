-- Guards: the rows loaded for the latest commit of each run in scope equal what its commit record lists (fewer: files not loaded yet, or failed; more: a file loaded twice).
-- Per: data table
WITH commits AS (
    SELECT DISTINCT run_id, attempt_id, table_name, row_count, committed_at
    FROM {{commit_table}}
    WHERE run_id IN ({{runs_in_scope}})
),
latest AS (
    SELECT run_id, attempt_id
    FROM commits
    QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY committed_at DESC, attempt_id DESC) = 1
),
loaded AS (
    SELECT run_id, attempt_id, COUNT(*) AS loaded_rows
    FROM {{table}}
    WHERE run_id IN ({{runs_in_scope}})
    GROUP BY run_id, attempt_id
),
compared AS (
    SELECT
        c.run_id,
        c.attempt_id,
        c.row_count AS committed_rows,
        COALESCE(n.loaded_rows, 0) AS loaded_rows
    FROM commits AS c
    JOIN latest AS l
        ON l.run_id = c.run_id
        AND l.attempt_id = c.attempt_id
    LEFT JOIN loaded AS n
        ON n.run_id = c.run_id
        AND n.attempt_id = c.attempt_id
    WHERE c.table_name = '{{table}}'
),
numbered AS (
    SELECT
        *,
        loaded_rows <> committed_rows AS wrong,
        ROW_NUMBER() OVER (PARTITION BY loaded_rows <> committed_rows ORDER BY run_id, attempt_id) AS n
    FROM compared
)
SELECT
    '{{table}}' AS table_name,
    'row_count' AS check_name,
    COUNT_IF(wrong) = 0 AS passed,
    CASE
        WHEN COUNT_IF(wrong) > 0 THEN LISTAGG(
            CASE WHEN wrong AND n <= 3 THEN
                CAST(loaded_rows AS VARCHAR) || ' rows loaded for run ' || run_id || ' attempt ' || attempt_id
                || '; its commit record says ' || CAST(committed_rows AS VARCHAR)
            END, '; ') WITHIN GROUP (ORDER BY run_id, attempt_id)
        WHEN COUNT(*) = 1 THEN 'the rows of attempt ' || MIN(attempt_id) || ' are all loaded, once'
        ELSE 'the rows of ' || CAST(COUNT(*) AS VARCHAR) || ' runs'' latest commits are all loaded, once'
    END AS detail
FROM numbered
HAVING COUNT(*) > 0;
