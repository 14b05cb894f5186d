-- Question: What share of the tracks on each listener's playlists is explicit right now, playlist by playlist?
-- Distinct tracks (a track listed twice counts once); a track whose explicit flag is unknown counts as not explicit. A
-- playlist two listeners share shows for both; playlists of nobody's (read before listeners) show with no listener.
SELECT
    COALESCE(p.playlist_name, i.playlist_id) AS playlist,
    COUNT(DISTINCT i.track_id) AS tracks,
    COUNT(DISTINCT CASE WHEN t.explicit THEN i.track_id END) AS explicit_tracks,
    ROUND(100.0 * COUNT(DISTINCT CASE WHEN t.explicit THEN i.track_id END) / COUNT(DISTINCT i.track_id), 1) AS explicit_pct,
    lp.spotify_user_id,
    lp.listener_name
FROM current_playlist_items AS i
LEFT JOIN current_playlists AS p
    ON p.playlist_id = i.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = i.track_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = i.playlist_id
WHERE i.track_id IS NOT NULL
GROUP BY lp.spotify_user_id, lp.listener_name, i.playlist_id, COALESCE(p.playlist_name, i.playlist_id)
ORDER BY
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    explicit_pct DESC,
    playlist ASC,
    i.playlist_id ASC;
