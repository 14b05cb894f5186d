-- Question: What dropped out of each listener's playlists this week, and which tracks moved furthest up or down?
-- A playlist two listeners share shows for both; playlists of nobody's (read before listeners) show with no listener.
SELECT
    COALESCE(p.playlist_name, m.playlist_id) AS playlist,
    m.chart_week,
    m.movement,
    COALESCE(t.track_name, m.track_id) AS track,
    m.previous_rank,
    m.current_rank,
    m.rank_change,
    lp.spotify_user_id,
    lp.listener_name
FROM chart_movements AS m
LEFT JOIN current_playlists AS p
    ON p.playlist_id = m.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = m.track_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = m.playlist_id
WHERE m.movement IN ('drop_out', 'up', 'down')
    AND m.chart_week = (SELECT MAX(chart_week) FROM chart_movements)
ORDER BY
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    playlist ASC,
    m.playlist_id ASC,
    CASE m.movement WHEN 'drop_out' THEN 0 ELSE 1 END ASC,
    ABS(COALESCE(m.rank_change, 0)) DESC,
    track ASC,
    m.track_id ASC;
