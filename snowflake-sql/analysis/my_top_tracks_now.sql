-- Question: What are each listener's top tracks right now, per time range?
SELECT
    ti.spotify_user_id,
    l.listener_name,
    ti.time_range,
    ti.rank,
    COALESCE(t.track_name, ti.item_name, ti.item_id) AS track,
    n.artist_names
FROM current_top_items AS ti
-- Runs from before listeners have no user id: their lists show with no listener.
LEFT JOIN listeners AS l
    ON l.spotify_user_id = ti.spotify_user_id
LEFT JOIN current_tracks AS t
    ON t.track_id = ti.item_id
LEFT JOIN track_artist_names AS n
    ON n.track_id = ti.item_id
WHERE ti.item_type = 'track'
    AND ti.rank <= 10
ORDER BY
    l.listener_name ASC NULLS LAST,
    ti.spotify_user_id ASC NULLS LAST,
    CASE ti.time_range WHEN 'short_term' THEN 1 WHEN 'medium_term' THEN 2 ELSE 3 END ASC,
    ti.time_range ASC,
    ti.rank ASC;
