-- Per listener, the newest data the warehouse shows: when the newest weekly run and the newest plays poll with
-- rows for them were extracted (committed and loaded), and their newest play. What `pipeline status` reads to say
-- whether each listener's data still arrives. Plain SQL that DuckDB and Snowflake both run as written.
WITH weekly AS (
    SELECT spotify_user_id, MAX(extracted_at) AS last_weekly_at
    FROM (
        SELECT spotify_user_id, extracted_at FROM committed_user_top_items WHERE spotify_user_id IS NOT NULL
        UNION ALL
        SELECT spotify_user_id, extracted_at FROM committed_saved_tracks
        UNION ALL
        SELECT spotify_user_id, extracted_at FROM committed_followed_artists
    ) AS weekly_rows
    GROUP BY spotify_user_id
),
polled AS (
    SELECT spotify_user_id, MAX(extracted_at) AS last_plays_at, MAX(played_at) AS last_play_at
    FROM committed_plays
    GROUP BY spotify_user_id
)
SELECT
    l.listener_name,
    l.spotify_user_id,
    w.last_weekly_at,
    p.last_plays_at,
    p.last_play_at
FROM listeners AS l
LEFT JOIN weekly AS w ON w.spotify_user_id = l.spotify_user_id
LEFT JOIN polled AS p ON p.spotify_user_id = l.spotify_user_id
ORDER BY l.listener_name;
