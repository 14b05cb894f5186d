-- The artists each listener follows as of their latest weekly snapshot (the latest visible run that has any of
-- their follows); committed_followed_artists holds each artist once per run.
CREATE OR REPLACE VIEW current_followed_artists AS
SELECT spotify_user_id, artist_id, artist_name, position, run_id, attempt_id, extract_date, extracted_at
FROM committed_followed_artists
QUALIFY DENSE_RANK() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1;
