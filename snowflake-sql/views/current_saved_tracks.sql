-- Each listener's saved tracks (Liked Songs) as of their latest complete snapshot: the latest visible run that
-- read their saved-tracks document to the end (library_snapshots), even if it held no tracks (all unsaved: the
-- listener shows none). A run whose read of that listener failed has no snapshot row and keeps the previous one.
-- Runs transformed before library_snapshots existed (their commit does not list it) count by their rows.
CREATE OR REPLACE VIEW current_saved_tracks AS
WITH snapshots AS (
    SELECT spotify_user_id, run_id, extracted_at
    FROM committed_library_snapshots
    WHERE library = 'saved_tracks'
    UNION
    SELECT s.spotify_user_id, s.run_id, s.extracted_at
    FROM committed_saved_tracks AS s
    WHERE NOT EXISTS (
        SELECT 1
        FROM attempt_loads AS a
        WHERE a.run_id = s.run_id
            AND a.attempt_id = s.attempt_id
            AND a.table_name = 'library_snapshots'
    )
),
latest AS (
    SELECT spotify_user_id, run_id
    FROM snapshots
    QUALIFY ROW_NUMBER() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1
)
SELECT s.spotify_user_id, s.track_id, s.added_at, s.position, s.track_name, s.run_id, s.attempt_id, s.extract_date, s.extracted_at
FROM committed_saved_tracks AS s
JOIN latest AS l
    ON l.spotify_user_id = s.spotify_user_id
    AND l.run_id = s.run_id;
