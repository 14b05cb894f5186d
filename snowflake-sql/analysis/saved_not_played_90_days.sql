-- Question: Which saved tracks has each listener not played in the 90 days before their latest play?
-- Saved = the latest weekly snapshot of their Liked Songs; a listener never heard is measured from that snapshot.
WITH latest AS (
    SELECT spotify_user_id, MAX(played_at) AS latest_play
    FROM current_plays
    GROUP BY spotify_user_id
),
recently_played AS (
    SELECT DISTINCT p.spotify_user_id, p.track_id
    FROM current_plays AS p
    JOIN latest AS x
        ON x.spotify_user_id = p.spotify_user_id
    WHERE p.track_id IS NOT NULL
        AND p.played_at > x.latest_play - INTERVAL '90 days'
)
SELECT
    s.spotify_user_id,
    l.listener_name,
    s.track_id,
    COALESCE(t.track_name, s.track_name, s.track_id) AS track,
    n.artist_names,
    s.added_at AS saved_at
FROM current_saved_tracks AS s
LEFT JOIN recently_played AS r
    ON r.spotify_user_id = s.spotify_user_id
    AND r.track_id = s.track_id
LEFT JOIN current_tracks AS t
    ON t.track_id = s.track_id
LEFT JOIN track_artist_names AS n
    ON n.track_id = s.track_id
LEFT JOIN listeners AS l
    ON l.spotify_user_id = s.spotify_user_id
WHERE r.track_id IS NULL
ORDER BY s.spotify_user_id ASC, saved_at ASC NULLS LAST, s.track_id ASC;
