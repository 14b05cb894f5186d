-- Question: How much did each listener listen each week (plays, and minutes of the tracks played)?
-- Every week from each listener's first week to the latest week anyone was heard (a silent week shows 0, even one
-- in which nobody listened), latest week first. Minutes are the played tracks' durations: Spotify does not say how
-- much of a track was heard.
WITH RECURSIVE play_lengths AS (
    SELECT
        p.spotify_user_id,
        p.week_start,
        COALESCE(p.duration_ms, t.duration_ms, 0) AS duration_ms
    FROM current_plays AS p
    LEFT JOIN current_tracks AS t
        ON t.track_id = p.track_id
),
weekly AS (
    SELECT spotify_user_id, week_start, COUNT(*) AS plays, SUM(duration_ms) AS ms_played
    FROM play_lengths
    GROUP BY spotify_user_id, week_start
),
weeks (week_start) AS (
    -- Monday after Monday from the first week heard to the last: a week of nobody's plays is a week too.
    SELECT MIN(week_start) FROM weekly HAVING COUNT(*) > 0
    UNION ALL
    SELECT CAST(w.week_start + 7 AS DATE)
    FROM weeks AS w
    WHERE w.week_start < (SELECT MAX(week_start) FROM weekly)
),
first_weeks AS (
    SELECT spotify_user_id, MIN(week_start) AS first_week
    FROM weekly
    GROUP BY spotify_user_id
)
SELECT
    f.spotify_user_id,
    l.listener_name,
    w.week_start,
    COALESCE(x.plays, 0) AS plays,
    ROUND(CAST(COALESCE(x.ms_played, 0) AS DOUBLE) / 60000, 1) AS minutes_played
FROM first_weeks AS f
JOIN weeks AS w
    ON w.week_start >= f.first_week
LEFT JOIN weekly AS x
    ON x.spotify_user_id = f.spotify_user_id
    AND x.week_start = w.week_start
LEFT JOIN listeners AS l
    ON l.spotify_user_id = f.spotify_user_id
ORDER BY w.week_start DESC, f.spotify_user_id ASC;
