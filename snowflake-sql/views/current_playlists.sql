-- The current row per playlist: the latest extract wins; a file loaded twice still yields one row.
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
    run_id,
    extract_date,
    extracted_at,
    loaded_at
FROM playlist_snapshots
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY playlist_id
    ORDER BY extracted_at DESC, run_id DESC, loaded_at DESC, source_file DESC
) = 1;
