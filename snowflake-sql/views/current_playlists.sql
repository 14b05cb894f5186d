-- The current row per playlist: the latest visible run wins (committed_playlist_snapshots holds one row per run).
CREATE OR REPLACE VIEW current_playlists AS
SELECT
    playlist_id,
    playlist_name,
    description,
    owner_id,
    owner_display_name,
    is_public,
    is_collaborative,
    snapshot_id,
    followers_total,
    items_total,
    image_url,
    paging_issues,
    run_id,
    attempt_id,
    extract_date,
    extracted_at,
    loaded_at
FROM committed_playlist_snapshots
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY playlist_id
    ORDER BY extracted_at DESC, run_id DESC
) = 1;
