-- The authorised user's latest top lists: per item type and time range, the ranks of the latest visible run.
CREATE OR REPLACE VIEW current_top_items AS
WITH latest_lists AS (
    SELECT item_type, time_range, run_id
    FROM (SELECT DISTINCT item_type, time_range, run_id, extracted_at FROM committed_user_top_items) AS lists
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY item_type, time_range
        ORDER BY extracted_at DESC, run_id DESC
    ) = 1
)
SELECT ti.item_type, ti.time_range, ti.rank, ti.item_id, ti.item_name, ti.run_id, ti.extract_date
FROM committed_user_top_items AS ti
JOIN latest_lists AS l
    ON l.item_type = ti.item_type
    AND l.time_range = ti.time_range
    AND l.run_id = ti.run_id;
