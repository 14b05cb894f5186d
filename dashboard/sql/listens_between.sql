-- Question: Which listens did one listener make between two UTC instants? (listening_history, one row per listen)
-- Binds: spotify_user_id, start (inclusive), end (exclusive), both UTC.
SELECT
    track_id,
    ended_at,
    ms_played,
    source,
    track_name,
    artist_name,
    album_name,
    skipped
FROM listening_history
WHERE spotify_user_id = ?
    AND ended_at >= CAST(? AS TIMESTAMP)
    AND ended_at < CAST(? AS TIMESTAMP)
ORDER BY ended_at, track_id;
