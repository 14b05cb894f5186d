-- Question: Which tracks have stayed on each listener's playlists for the most weeks?
-- Top 20 per listener; a playlist two listeners share counts for both; playlists of nobody's (read before listeners)
-- show with no listener.
SELECT
    COALESCE(p.playlist_name, c.playlist_id) AS playlist,
    COALESCE(t.track_name, c.track_id) AS track,
    COUNT(DISTINCT c.chart_week) AS weeks_on_chart,
    MIN(c.chart_week) AS first_week,
    MAX(c.chart_week) AS last_week,
    MIN(c.chart_rank) AS best_rank,
    lp.spotify_user_id,
    lp.listener_name
FROM playlist_chart AS c
LEFT JOIN current_playlists AS p
    ON p.playlist_id = c.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = c.track_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = c.playlist_id
WHERE c.track_id IS NOT NULL
GROUP BY
    lp.spotify_user_id,
    lp.listener_name,
    c.playlist_id,
    COALESCE(p.playlist_name, c.playlist_id),
    c.track_id,
    COALESCE(t.track_name, c.track_id)
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY lp.spotify_user_id
    ORDER BY
        COUNT(DISTINCT c.chart_week) DESC,
        MIN(c.chart_rank) ASC,
        COALESCE(p.playlist_name, c.playlist_id) ASC,
        c.playlist_id ASC,
        COALESCE(t.track_name, c.track_id) ASC,
        c.track_id ASC
) <= 20
ORDER BY
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    weeks_on_chart DESC,
    best_rank ASC,
    playlist ASC,
    c.playlist_id ASC,
    track ASC,
    c.track_id ASC;
