-- Question: What share of each playlist's tracks is explicit right now?
SELECT
    COALESCE(p.playlist_name, i.playlist_id) AS playlist,
    COUNT(*) AS tracks,
    COUNT_IF(t.explicit) AS explicit_tracks,
    ROUND(100.0 * COUNT_IF(t.explicit) / COUNT(*), 1) AS explicit_pct
FROM current_playlist_items AS i
LEFT JOIN current_playlists AS p
    ON p.playlist_id = i.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = i.track_id
WHERE i.track_id IS NOT NULL
GROUP BY i.playlist_id, COALESCE(p.playlist_name, i.playlist_id)
ORDER BY explicit_pct DESC, playlist ASC;
