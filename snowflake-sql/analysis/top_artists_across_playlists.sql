-- Question: Which artists appear on the most of each listener's playlists right now, and with how many tracks?
-- Top 20 per listener; a playlist two listeners share counts for both; playlists of nobody's (read before listeners) show
-- with no listener.
SELECT
    COALESCE(a.artist_name, cta.artist_id) AS artist,
    COUNT(DISTINCT i.playlist_id) AS playlists,
    COUNT(DISTINCT i.track_id) AS tracks,
    COUNT(*) AS placements,
    MIN(i.chart_rank) AS best_rank,
    lp.spotify_user_id,
    lp.listener_name
FROM current_playlist_items AS i
JOIN current_track_artists AS cta
    ON cta.track_id = i.track_id
LEFT JOIN current_artists AS a
    ON a.artist_id = cta.artist_id
LEFT JOIN listener_playlists AS lp
    ON lp.playlist_id = i.playlist_id
GROUP BY lp.spotify_user_id, lp.listener_name, cta.artist_id, COALESCE(a.artist_name, cta.artist_id)
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY lp.spotify_user_id
    ORDER BY COUNT(DISTINCT i.playlist_id) DESC, COUNT(*) DESC, MIN(i.chart_rank) ASC, COALESCE(a.artist_name, cta.artist_id) ASC, cta.artist_id ASC
) <= 20
ORDER BY
    lp.listener_name ASC NULLS LAST,
    lp.spotify_user_id ASC NULLS LAST,
    playlists DESC,
    placements DESC,
    best_rank ASC,
    artist ASC,
    cta.artist_id ASC;
