-- Question: From which release years does the music on the playlists come right now?
SELECT
    CASE WHEN al.release_date IS NULL THEN 'unknown' ELSE CAST(YEAR(al.release_date) AS VARCHAR) END AS release_year,
    COUNT(DISTINCT i.track_id) AS tracks,
    ROUND(100.0 * COUNT(DISTINCT i.track_id) / (SELECT COUNT(DISTINCT track_id) FROM current_playlist_items), 1) AS share_pct
FROM current_playlist_items AS i
LEFT JOIN current_tracks AS t
    ON t.track_id = i.track_id
LEFT JOIN current_albums AS al
    ON al.album_id = t.album_id
WHERE i.track_id IS NOT NULL
GROUP BY CASE WHEN al.release_date IS NULL THEN 'unknown' ELSE CAST(YEAR(al.release_date) AS VARCHAR) END
ORDER BY CASE WHEN release_year = 'unknown' THEN 1 ELSE 0 END ASC, release_year DESC;
