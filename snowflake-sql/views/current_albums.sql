-- The current row per album: the latest visible run wins (committed_albums holds one row per run).
CREATE OR REPLACE VIEW current_albums AS
SELECT
    album_id,
    album_name,
    album_type,
    release_date,
    release_date_precision,
    release_date_raw,
    total_tracks,
    label,
    upc,
    uri,
    image_url,
    run_id,
    attempt_id,
    extract_date,
    extracted_at,
    loaded_at
FROM committed_albums
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY album_id
    ORDER BY extracted_at DESC, run_id DESC
) = 1;
