-- Each play once per listener and played_at, however often it was polled (Spotify serves the last 50 plays,
-- so consecutive polls overlap): the row of the latest poll wins. week_start is the play's ISO week (Monday, UTC).
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
    extract_date,
    extracted_at
FROM plays
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY spotify_user_id, played_at
    ORDER BY extracted_at DESC, run_id DESC, loaded_at DESC, source_file DESC
) = 1;
