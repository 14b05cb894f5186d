-- Question: What share of each playlist's tracks is explicit right now?
-- Distinct tracks (a track listed twice counts once); a track whose explicit flag is unknown counts as not explicit.
SELECT
    COALESCE(p.playlist_name, i.playlist_id) AS playlist,
    COUNT(DISTINCT i.track_id) AS tracks,
    COUNT(DISTINCT CASE WHEN t.explicit THEN i.track_id END) AS explicit_tracks,
    ROUND(100.0 * COUNT(DISTINCT CASE WHEN t.explicit THEN i.track_id END) / COUNT(DISTINCT i.track_id), 1) AS explicit_pct
FROM current_playlist_items AS i
LEFT JOIN current_playlists AS p
    ON p.playlist_id = i.playlist_id
LEFT JOIN current_tracks AS t
    ON t.track_id = i.track_id
WHERE i.track_id IS NOT NULL
GROUP BY i.playlist_id, COALESCE(p.playlist_name, i.playlist_id)
ORDER BY explicit_pct DESC, playlist ASC, i.playlist_id ASC;
