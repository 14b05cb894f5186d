-- Question: At which hours of which weekdays does each listener listen, week by week (UTC)?
-- iso_weekday 1 = Monday .. 7 = Sunday; only the hours with plays are listed.
WITH timed AS (
    SELECT
        spotify_user_id,
        week_start,
        CAST(played_at AS DATE) - week_start + 1 AS iso_weekday,
        EXTRACT(HOUR FROM played_at) AS hour_of_day
    FROM current_plays
)
SELECT
    t.spotify_user_id,
    l.listener_name,
    t.week_start,
    t.iso_weekday,
    t.hour_of_day,
    COUNT(*) AS plays
FROM timed AS t
LEFT JOIN listeners AS l
    ON l.spotify_user_id = t.spotify_user_id
GROUP BY t.spotify_user_id, l.listener_name, t.week_start, t.iso_weekday, t.hour_of_day
ORDER BY t.week_start DESC, t.spotify_user_id ASC, t.iso_weekday ASC, t.hour_of_day ASC;
