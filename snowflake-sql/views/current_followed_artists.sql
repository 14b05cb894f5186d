-- The artists each listener follows as of their latest complete snapshot (latest_library_snapshots: all
-- unfollowed shows none, a failed read keeps the previous snapshot).
CREATE OR REPLACE VIEW current_followed_artists AS
SELECT f.spotify_user_id, f.artist_id, f.artist_name, f.position, f.run_id, f.attempt_id, f.extract_date, f.extracted_at
FROM committed_followed_artists AS f
JOIN latest_library_snapshots AS l
    ON l.spotify_user_id = f.spotify_user_id
    AND l.library = 'followed_artists'
    AND l.run_id = f.run_id;
