-- Question: When did one listener first and last hear each track? A track without an id (a local file) is known by
-- its artist and name. Binds: spotify_user_id.
SELECT
    COALESCE(track_id, 'name:' || COALESCE(artist_name, '') || ' - ' || COALESCE(track_name, '')) AS track_key,
    MIN(ended_at) AS first_heard,
    MAX(ended_at) AS last_heard,
    COUNT(*) AS listens
FROM listening_history
WHERE spotify_user_id = ?
GROUP BY COALESCE(track_id, 'name:' || COALESCE(artist_name, '') || ' - ' || COALESCE(track_name, ''));
