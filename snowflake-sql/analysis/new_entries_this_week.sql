-- Question: Which tracks entered a playlist this week that were not on it the week before?
SELECT
    COALESCE(p.playlist_name, m.playlist_id) AS playlist,
    m.chart_week,
    m.current_rank AS chart_rank,
    COALESCE(t.track_name, m.track_id) AS track,
    n.artist_names
FROM chart_movements AS m
LEFT JOIN current_playlists AS p
    ON p.playlist_id = m.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = m.track_id
LEFT JOIN track_artist_names AS n
    ON n.track_id = m.track_id
WHERE m.movement = 'entry'
    AND m.chart_week = (SELECT MAX(chart_week) FROM chart_movements)
ORDER BY playlist ASC, m.playlist_id ASC, chart_rank ASC, m.track_id ASC;
