-- The one attempt of each run id the views read: its latest commit whose rows are all loaded. An attempt without a
-- commit record (a publish that died midway) is never visible; a committed attempt becomes visible once every row
-- its commit lists is loaded (Snowpipe loads files in no particular order), and a later commit replaces it.
CREATE OR REPLACE VIEW committed_attempts AS
WITH complete AS (
    SELECT
        run_id,
        attempt_id,
        MAX(extract_date) AS extract_date,
        MAX(extracted_at) AS extracted_at,
        MAX(committed_at) AS committed_at
    FROM attempt_loads
    GROUP BY run_id, attempt_id
    HAVING COUNT_IF(loaded_rows < committed_rows) = 0
)
SELECT run_id, attempt_id, extract_date, extracted_at, committed_at
FROM complete
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY run_id
    ORDER BY committed_at DESC, attempt_id DESC
) = 1;
