-- The current row per album: the latest extract wins; a file loaded twice still yields one row.
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
    extract_date,
    extracted_at,
    loaded_at
FROM albums
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY album_id
    ORDER BY extracted_at DESC, run_id DESC, loaded_at DESC, source_file DESC
) = 1;
