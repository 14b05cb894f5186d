-- The current row per track: the latest extract wins; a file loaded twice still yields one row.
CREATE OR REPLACE VIEW current_tracks AS
SELECT
    track_id,
    track_name,
    album_id,
    duration_ms,
    explicit,
    popularity,
    track_number,
    disc_number,
    isrc,
    uri,
    run_id,
    extract_date,
    extracted_at,
    loaded_at
FROM tracks
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY track_id
    ORDER BY extracted_at DESC, run_id DESC, loaded_at DESC, source_file DESC
) = 1;
