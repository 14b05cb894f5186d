-- Question: Week by week, which tracks entered, dropped out of or moved on each listener's playlists?
-- A playlist two listeners share shows for both; playlists of nobody's (read before listeners) show with no listener.
SELECT
    m.chart_week,
    m.playlist_id,
    COALESCE(p.playlist_name, m.playlist_id) AS playlist,
    m.movement,
    m.track_id,
    COALESCE(t.track_name, m.track_id) AS track,
    n.artist_names,
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
LEFT JOIN track_artist_names AS n
    ON n.track_id = m.track_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = m.playlist_id
WHERE m.movement <> 'same'
ORDER BY
    m.chart_week DESC,
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    playlist ASC,
    m.playlist_id ASC,
    CASE m.movement WHEN 'entry' THEN 0 WHEN 'drop_out' THEN 1 ELSE 2 END ASC,
    ABS(COALESCE(m.rank_change, 0)) DESC,
    m.track_id ASC;
