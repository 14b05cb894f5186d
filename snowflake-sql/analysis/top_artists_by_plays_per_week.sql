-- Question: Which artists did each listener play most each week, against the week before?
-- A play counts for every artist credited on the track. Latest week first; ties share a rank.
WITH artist_plays AS (
    SELECT p.spotify_user_id, p.week_start, ta.artist_id, COUNT(*) AS plays
    FROM current_plays AS p
    JOIN current_track_artists AS ta
        ON ta.track_id = p.track_id
    GROUP BY p.spotify_user_id, p.week_start, ta.artist_id
)
SELECT
    a.spotify_user_id,
    l.listener_name,
    a.week_start,
    a.artist_id,
    COALESCE(ar.artist_name, a.artist_id) AS artist,
    a.plays,
    COALESCE(prev.plays, 0) AS plays_previous_week,
    RANK() OVER (PARTITION BY a.spotify_user_id, a.week_start ORDER BY a.plays DESC) AS rank_this_week
FROM artist_plays AS a
LEFT JOIN artist_plays AS prev
    ON prev.spotify_user_id = a.spotify_user_id
    AND prev.artist_id = a.artist_id
    AND prev.week_start = a.week_start - 7
LEFT JOIN current_artists AS ar
    ON ar.artist_id = a.artist_id
LEFT JOIN listeners AS l
    ON l.spotify_user_id = a.spotify_user_id
ORDER BY a.week_start DESC, a.spotify_user_id ASC, rank_this_week ASC, artist ASC, a.artist_id ASC;
