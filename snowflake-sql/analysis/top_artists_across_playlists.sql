-- Question: Which artists appear on the most playlists right now, and with how many tracks?
SELECT
    COALESCE(a.artist_name, cta.artist_id) AS artist,
    COUNT(DISTINCT i.playlist_id) AS playlists,
    COUNT(DISTINCT i.track_id) AS tracks,
    COUNT(*) AS placements,
    MIN(i.chart_rank) AS best_rank
FROM current_playlist_items AS i
JOIN current_track_artists AS cta
    ON cta.track_id = i.track_id
LEFT JOIN current_artists AS a
    ON a.artist_id = cta.artist_id
GROUP BY cta.artist_id, COALESCE(a.artist_name, cta.artist_id)
ORDER BY playlists DESC, placements DESC, best_rank ASC, artist ASC, cta.artist_id ASC
LIMIT 20;
