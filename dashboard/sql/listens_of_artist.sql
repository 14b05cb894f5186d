-- Question: Every listen of one artist (by the primary artist's name) by one listener. Binds: spotify_user_id, artist_name.
SELECT track_id, ended_at, ms_played, source, track_name, artist_name, album_name, skipped
FROM listening_history
WHERE spotify_user_id = ?
    AND artist_name = ?
ORDER BY ended_at, track_id;
