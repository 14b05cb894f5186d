-- Question: What share of each listener's plays each week were of tracks they first played that week?
-- "First played" counts from the start of the polled history, so every track play of a listener's first week is
-- discovery; a play without a track (an episode, a local file, a missing item) counts among the plays, never as one.
WITH first_plays AS (
    SELECT spotify_user_id, track_id, MIN(week_start) AS first_week
    FROM current_plays
    WHERE track_id IS NOT NULL
    GROUP BY spotify_user_id, track_id
)
SELECT
    p.spotify_user_id,
    l.listener_name,
    p.week_start,
    COUNT(*) AS plays,
    COUNT_IF(f.first_week = p.week_start) AS discovery_plays,
    ROUND(100 * CAST(COUNT_IF(f.first_week = p.week_start) AS DOUBLE) / COUNT(*), 1) AS discovery_pct
FROM current_plays AS p
LEFT JOIN first_plays AS f
    ON f.spotify_user_id = p.spotify_user_id
    AND f.track_id = p.track_id
LEFT JOIN listeners AS l
    ON l.spotify_user_id = p.spotify_user_id
GROUP BY p.spotify_user_id, l.listener_name, p.week_start
ORDER BY p.week_start DESC, p.spotify_user_id ASC;
