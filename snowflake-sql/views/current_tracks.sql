-- The current row per track: the latest visible run wins (committed_tracks holds one row per run).
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
    attempt_id,
    extract_date,
    extracted_at,
    loaded_at
FROM committed_tracks
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY track_id
    ORDER BY extracted_at DESC, run_id DESC
) = 1;
