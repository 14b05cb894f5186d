-- Question: Where did each listener's plays come from each week: playlists, albums, artists, elsewhere?
-- context: playlist, album, artist, other (Liked Songs, shows, ...) or none (search, radio, a shared link).
WITH bucketed AS (
    SELECT
        spotify_user_id,
        week_start,
        CASE
            WHEN context_type IS NULL THEN 'none'
            WHEN context_type IN ('playlist', 'album', 'artist') THEN context_type
            ELSE 'other'
        END AS context
    FROM current_plays
)
SELECT
    b.spotify_user_id,
    l.listener_name,
    b.week_start,
    b.context,
    COUNT(*) AS plays,
    ROUND(100 * CAST(COUNT(*) AS DOUBLE) / SUM(COUNT(*)) OVER (PARTITION BY b.spotify_user_id, b.week_start), 1) AS share_pct
FROM bucketed AS b
LEFT JOIN listeners AS l
    ON l.spotify_user_id = b.spotify_user_id
GROUP BY b.spotify_user_id, l.listener_name, b.week_start, b.context
ORDER BY b.week_start DESC, b.spotify_user_id ASC, b.context ASC;
