-- Each listener's saved tracks (Liked Songs) as of their latest weekly snapshot; a file loaded twice still
-- yields one row per track.
CREATE OR REPLACE VIEW current_saved_tracks AS
WITH snapshot_rows AS (
    SELECT
        spotify_user_id,
        track_id,
        added_at,
        position,
        track_name,
        run_id,
        extract_date,
        extracted_at
    FROM saved_tracks
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY run_id, spotify_user_id, track_id
        ORDER BY loaded_at DESC, source_file DESC
    ) = 1
)
SELECT spotify_user_id, track_id, added_at, position, track_name, run_id, extract_date, extracted_at
FROM snapshot_rows
QUALIFY DENSE_RANK() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1;
