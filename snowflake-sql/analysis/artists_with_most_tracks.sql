-- Question: Which artists have the most distinct tracks across everything extracted?
SELECT
    COALESCE(a.artist_name, cta.artist_id) AS artist,
    COUNT(DISTINCT cta.track_id) AS tracks,
    COUNT(DISTINCT t.album_id) AS albums
FROM current_track_artists AS cta
JOIN current_tracks AS t
    ON t.track_id = cta.track_id
LEFT JOIN current_artists AS a
    ON a.artist_id = cta.artist_id
GROUP BY cta.artist_id, COALESCE(a.artist_name, cta.artist_id)
ORDER BY tracks DESC, albums DESC, artist ASC, cta.artist_id ASC
LIMIT 20;
