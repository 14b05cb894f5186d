-- Question: Which tracks have stayed on a playlist for the most weeks?
SELECT
    COALESCE(p.playlist_name, c.playlist_id) AS playlist,
    COALESCE(t.track_name, c.track_id) AS track,
    COUNT(DISTINCT c.chart_week) AS weeks_on_chart,
    MIN(c.chart_week) AS first_week,
    MAX(c.chart_week) AS last_week,
    MIN(c.chart_rank) AS best_rank
FROM playlist_chart AS c
LEFT JOIN current_playlists AS p
    ON p.playlist_id = c.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = c.track_id
WHERE c.track_id IS NOT NULL
GROUP BY c.playlist_id, COALESCE(p.playlist_name, c.playlist_id), c.track_id, COALESCE(t.track_name, c.track_id)
ORDER BY weeks_on_chart DESC, best_rank ASC, playlist ASC, c.playlist_id ASC, track ASC, c.track_id ASC
LIMIT 20;
