-- Question: Which tracks entered each listener's playlists this week that were not on them the week before?
-- A playlist two listeners share shows for both; playlists of nobody's (read before listeners) show with no listener.
SELECT
    COALESCE(p.playlist_name, m.playlist_id) AS playlist,
    m.chart_week,
    m.current_rank AS chart_rank,
    COALESCE(t.track_name, m.track_id) AS track,
    n.artist_names,
    lp.spotify_user_id,
    lp.listener_name
FROM chart_movements AS m
LEFT JOIN current_playlists AS p
    ON p.playlist_id = m.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = m.track_id
LEFT JOIN track_artist_names AS n
    ON n.track_id = m.track_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = m.playlist_id
WHERE m.movement = 'entry'
    AND m.chart_week = (SELECT MAX(chart_week) FROM chart_movements)
ORDER BY
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    playlist ASC,
    m.playlist_id ASC,
    chart_rank ASC,
    m.track_id ASC;
