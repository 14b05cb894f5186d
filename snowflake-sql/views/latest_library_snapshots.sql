-- Each listener's latest complete snapshot of each library (saved_tracks, followed_artists): the latest visible run
-- that read that library's document to the end (library_snapshots), even if it held nothing (all unsaved: the
-- listener shows none). A run whose read failed has no snapshot row and keeps the previous one. Runs transformed
-- before library_snapshots existed (their commit does not list it) count as a snapshot where they have rows.
CREATE OR REPLACE VIEW latest_library_snapshots AS
WITH legacy_attempts AS (
    SELECT c.run_id, c.attempt_id
    FROM committed_attempts AS c
    WHERE NOT EXISTS (
        SELECT 1
        FROM attempt_loads AS a
        WHERE a.run_id = c.run_id
            AND a.attempt_id = c.attempt_id
            AND a.table_name = 'library_snapshots'
    )
),
snapshots AS (
    SELECT spotify_user_id, library, run_id, extracted_at
    FROM committed_library_snapshots
    UNION
    SELECT s.spotify_user_id, 'saved_tracks' AS library, s.run_id, s.extracted_at
    FROM committed_saved_tracks AS s
    JOIN legacy_attempts AS l
        ON l.run_id = s.run_id
        AND l.attempt_id = s.attempt_id
    UNION
    SELECT f.spotify_user_id, 'followed_artists' AS library, f.run_id, f.extracted_at
    FROM committed_followed_artists AS f
    JOIN legacy_attempts AS l
        ON l.run_id = f.run_id
        AND l.attempt_id = f.attempt_id
)
SELECT spotify_user_id, library, run_id
FROM snapshots
QUALIFY ROW_NUMBER() OVER (PARTITION BY spotify_user_id, library ORDER BY extracted_at DESC, run_id DESC) = 1;
