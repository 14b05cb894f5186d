-- Each listener's saved tracks (Liked Songs) as of their latest weekly snapshot (the latest visible run that has
-- any of their saved tracks); committed_saved_tracks holds each track once per run.
CREATE OR REPLACE VIEW current_saved_tracks AS
SELECT spotify_user_id, track_id, added_at, position, track_name, run_id, attempt_id, extract_date, extracted_at
FROM committed_saved_tracks
QUALIFY DENSE_RANK() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1;
