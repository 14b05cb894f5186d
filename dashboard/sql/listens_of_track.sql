-- Question: Every listen of one track by one listener; a track without an id (a local file) is known by its artist
-- and name, as in first_heard.sql. Binds: spotify_user_id, track_key.
SELECT track_id, ended_at, ms_played, source, track_name, artist_name, album_name, skipped
FROM listening_history
WHERE spotify_user_id = ?
    AND COALESCE(track_id, 'name:' || COALESCE(artist_name, '') || ' - ' || COALESCE(track_name, '')) = ?
ORDER BY ended_at;
