-- The authorised user's latest top lists: per item type and time range, the ranks of the latest run.
CREATE OR REPLACE VIEW current_top_items AS
WITH ranked AS (
    SELECT
        item_type,
        time_range,
        rank,
        item_id,
        item_name,
        run_id,
        extract_date,
        extracted_at
    FROM user_top_items
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY run_id, item_type, time_range, rank
        ORDER BY loaded_at DESC, source_file DESC
    ) = 1
)
SELECT item_type, time_range, rank, item_id, item_name, run_id, extract_date
FROM ranked
QUALIFY run_id = MAX(run_id) OVER (PARTITION BY item_type, time_range);
