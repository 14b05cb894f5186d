-- Question: Which tracks did each listener play most each week, against the week before?
-- Latest week first; ties share a rank.
WITH track_plays AS (
    SELECT spotify_user_id, week_start, track_id, MAX(track_name) AS track_name, COUNT(*) AS plays
    FROM current_plays
    WHERE track_id IS NOT NULL
    GROUP BY spotify_user_id, week_start, track_id
)
SELECT
    tp.spotify_user_id,
    l.listener_name,
    tp.week_start,
    tp.track_id,
    COALESCE(t.track_name, tp.track_name, tp.track_id) AS track,
    n.artist_names,
    tp.plays,
    COALESCE(prev.plays, 0) AS plays_previous_week,
    RANK() OVER (PARTITION BY tp.spotify_user_id, tp.week_start ORDER BY tp.plays DESC) AS rank_this_week
FROM track_plays AS tp
LEFT JOIN track_plays AS prev
    ON prev.spotify_user_id = tp.spotify_user_id
    AND prev.track_id = tp.track_id
    AND prev.week_start = tp.week_start - 7
LEFT JOIN current_tracks AS t
    ON t.track_id = tp.track_id
LEFT JOIN track_artist_names AS n
    ON n.track_id = tp.track_id
LEFT JOIN listeners AS l
    ON l.spotify_user_id = tp.spotify_user_id
ORDER BY tp.week_start DESC, tp.spotify_user_id ASC, rank_this_week ASC, track ASC, tp.track_id ASC;
