-- The artists each listener follows as of their latest complete snapshot: the latest visible run that read their
-- follows to the end (library_snapshots), even if it held none (all unfollowed: the listener shows none). A run
-- whose read of that listener failed has no snapshot row and keeps the previous one. Runs transformed before
-- library_snapshots existed (their commit does not list it) count by their rows.
CREATE OR REPLACE VIEW current_followed_artists AS
WITH snapshots AS (
    SELECT spotify_user_id, run_id, extracted_at
    FROM committed_library_snapshots
    WHERE library = 'followed_artists'
    UNION
    SELECT f.spotify_user_id, f.run_id, f.extracted_at
    FROM committed_followed_artists AS f
    WHERE NOT EXISTS (
        SELECT 1
        FROM attempt_loads AS a
        WHERE a.run_id = f.run_id
            AND a.attempt_id = f.attempt_id
            AND a.table_name = 'library_snapshots'
    )
),
latest AS (
    SELECT spotify_user_id, run_id
    FROM snapshots
    QUALIFY ROW_NUMBER() OVER (PARTITION BY spotify_user_id ORDER BY extracted_at DESC, run_id DESC) = 1
)
SELECT f.spotify_user_id, f.artist_id, f.artist_name, f.position, f.run_id, f.attempt_id, f.extract_date, f.extracted_at
FROM committed_followed_artists AS f
JOIN latest AS l
    ON l.spotify_user_id = f.spotify_user_id
    AND l.run_id = f.run_id;
