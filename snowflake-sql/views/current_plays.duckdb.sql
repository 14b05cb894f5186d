-- Each play once per listener and played_at, however often it was polled (Spotify serves the last 50 plays,
-- so consecutive polls overlap): the row of the latest visible run wins. week_start is the Monday (UTC) of the
-- play's ISO week. DuckDB spelling: its DATE_TRUNC('week', ...) is always ISO (Monday).
CREATE OR REPLACE VIEW current_plays AS
SELECT
    spotify_user_id,
    played_at,
    CAST(DATE_TRUNC('week', played_at) AS DATE) AS week_start,
    item_type,
    track_id,
    track_name,
    album_id,
    duration_ms,
    context_type,
    context_uri,
    context_playlist_id,
    run_id,
    attempt_id,
    extract_date,
    extracted_at
FROM committed_plays
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY spotify_user_id, played_at
    ORDER BY extracted_at DESC, run_id DESC
) = 1;
