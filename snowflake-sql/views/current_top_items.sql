-- Each listener's latest top lists: per listener, item type and time range, the ranks of the latest visible run
-- that has that list. A listener missing from a run (their token revoked) keeps their earlier lists. Runs from
-- before listeners (spotify_user_id null) count as one listener of their own.
CREATE OR REPLACE VIEW current_top_items AS
WITH latest_lists AS (
    SELECT spotify_user_id, item_type, time_range, run_id
    FROM (SELECT DISTINCT spotify_user_id, item_type, time_range, run_id, extracted_at FROM committed_user_top_items) AS lists
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY spotify_user_id, item_type, time_range
        ORDER BY extracted_at DESC, run_id DESC
    ) = 1
)
SELECT ti.spotify_user_id, ti.item_type, ti.time_range, ti.rank, ti.item_id, ti.item_name, ti.run_id, ti.extract_date
FROM committed_user_top_items AS ti
JOIN latest_lists AS l
    -- Runs from before listeners have no user id: '' stands for it (no Spotify user id is empty).
    ON COALESCE(l.spotify_user_id, '') = COALESCE(ti.spotify_user_id, '')
    AND l.item_type = ti.item_type
    AND l.time_range = ti.time_range
    AND l.run_id = ti.run_id;
