-- Each listener's saved tracks (Liked Songs) as of their latest complete snapshot (latest_library_snapshots: an
-- emptied library shows none, a failed read keeps the previous snapshot).
CREATE OR REPLACE VIEW current_saved_tracks AS
SELECT s.spotify_user_id, s.track_id, s.added_at, s.position, s.track_name, s.run_id, s.attempt_id, s.extract_date, s.extracted_at
FROM committed_saved_tracks AS s
JOIN latest_library_snapshots AS l
    ON l.spotify_user_id = s.spotify_user_id
    AND l.library = 'saved_tracks'
    AND l.run_id = s.run_id;
