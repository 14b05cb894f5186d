-- The current row per artist: the latest extract wins; a file loaded twice still yields one row.
CREATE OR REPLACE VIEW current_artists AS
SELECT
    artist_id,
    artist_name,
    genres,
    followers_total,
    popularity,
    uri,
    run_id,
    extract_date,
    extracted_at,
    loaded_at
FROM artists
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY artist_id
    ORDER BY extracted_at DESC, run_id DESC, loaded_at DESC, source_file DESC
) = 1;
