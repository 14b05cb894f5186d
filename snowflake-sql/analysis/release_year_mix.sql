-- Question: From which release years does the music on each listener's playlists come right now?
-- Shares are of the distinct tracks on that listener's playlists; playlists of nobody's (read before listeners) show
-- with no listener.
WITH items AS (
    SELECT DISTINCT lp.spotify_user_id, lp.listener_name, i.track_id
    FROM current_playlist_items AS i
    LEFT JOIN listener_playlists AS lp
        ON lp.playlist_id = i.playlist_id
    WHERE i.track_id IS NOT NULL
),
years AS (
    SELECT
        it.spotify_user_id,
        it.listener_name,
        it.track_id,
        CASE WHEN al.release_date IS NULL THEN 'unknown' ELSE CAST(YEAR(al.release_date) AS VARCHAR) END AS release_year
    FROM items AS it
    LEFT JOIN current_tracks AS t
        ON t.track_id = it.track_id
    LEFT JOIN current_albums AS al
        ON al.album_id = t.album_id
)
SELECT
    release_year,
    COUNT(*) AS tracks,
    ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY spotify_user_id), 1) AS share_pct,
    spotify_user_id,
    listener_name
FROM years
GROUP BY spotify_user_id, listener_name, release_year
ORDER BY
    listener_name ASC NULLS LAST,
    spotify_user_id ASC NULLS LAST,
    CASE WHEN release_year = 'unknown' THEN 1 ELSE 0 END ASC,
    release_year DESC;
