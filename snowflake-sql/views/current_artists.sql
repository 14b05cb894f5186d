-- The current row per artist: the latest visible run wins (committed_artists holds one row per run).
CREATE OR REPLACE VIEW current_artists AS
SELECT
    artist_id,
    artist_name,
    genres,
    followers_total,
    popularity,
    uri,
    run_id,
    attempt_id,
    extract_date,
    extracted_at,
    loaded_at
FROM committed_artists
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY artist_id
    ORDER BY extracted_at DESC, run_id DESC
) = 1;
