-- The artists each listener follows as of their latest weekly snapshot; a file loaded twice still yields one
-- row per artist.
CREATE OR REPLACE VIEW current_followed_artists AS
WITH snapshot_rows AS (
    SELECT
        spotify_user_id,
        artist_id,
        artist_name,
        position,
        run_id,
        extract_date,
        extracted_at
    FROM followed_artists
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY run_id, spotify_user_id, artist_id
        ORDER BY loaded_at DESC, source_file DESC
    ) = 1
)
SELECT spotify_user_id, artist_id, artist_name, position, run_id, extract_date, extracted_at
FROM snapshot_rows
QUALIFY DENSE_RANK() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1;
