-- One row per listen of music (catalog tracks and local files), from imported exports (streams) and polled plays
-- (current_plays), a listen both saw counted once: the matching rule is docs/data-contracts.md, "Listening history".
-- ended_at is when the listen ended (export ts / endTime; a poll's played_at); a poll's ms_played is the track's
-- duration. Streams of 0 ms, podcasts and audiobooks stay in streams, out of this view.
CREATE OR REPLACE VIEW listening_history AS
WITH listener_ids AS (
    -- The configured name an export was imported for -> that listener's Spotify user id (from their profile).
    SELECT listener_name, spotify_user_id
    FROM listeners
    QUALIFY ROW_NUMBER() OVER (PARTITION BY listener_name ORDER BY spotify_user_id) = 1
),
exported AS (
    -- Each stream once, however many imports carry it (same listener, end, item and ms played): the latest import wins.
    SELECT
        COALESCE(l.spotify_user_id, s.listener_name) AS spotify_user_id,
        s.listener_name,
        s.track_id,
        s.ended_at,
        s.ms_played,
        s.track_name,
        s.artist_name,
        s.album_name,
        s.skipped,
        s.export_kind
    FROM committed_streams AS s
    LEFT JOIN listener_ids AS l
        ON l.listener_name = s.listener_name
    WHERE s.item_type IN ('track', 'local_track')
        AND s.ms_played > 0
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY s.listener_name, s.ended_at, s.item_key, s.ms_played
        ORDER BY s.extracted_at DESC, s.run_id DESC
    ) = 1
),
account_data_seen_in_extended AS (
    -- Account data (to the minute, no URI) that an Extended Streaming History import also holds: same names and
    -- ms played, ending within a minute either side of endTime.
    SELECT DISTINCT a.listener_name, a.ended_at, a.track_name, a.artist_name, a.ms_played
    FROM exported AS a
    JOIN exported AS x
        ON x.listener_name = a.listener_name
        AND x.export_kind = 'extended'
        AND x.track_name = a.track_name
        AND x.artist_name = a.artist_name
        AND x.ms_played = a.ms_played
        AND x.ended_at BETWEEN DATEADD(second, -60, a.ended_at) AND DATEADD(second, 60, a.ended_at)
    WHERE a.export_kind = 'account_data'
),
exported_once AS (
    SELECT e.*
    FROM exported AS e
    LEFT JOIN account_data_seen_in_extended AS d
        ON d.listener_name = e.listener_name
        AND d.ended_at = e.ended_at
        AND d.track_name = e.track_name
        AND d.artist_name = e.artist_name
        AND d.ms_played = e.ms_played
        AND e.export_kind = 'account_data'
    WHERE d.listener_name IS NULL
),
polled_music AS (
    SELECT spotify_user_id, played_at, track_id, track_name, album_id, duration_ms
    FROM current_plays
    WHERE item_type IN ('track', 'local_track')
),
polls_seen_in_exports AS (
    -- A poll an export also holds: same listener, same track (the id when both have one, else the name), ending
    -- within 30 s of played_at (90 s for Account data, whose endTime is cut to the minute).
    SELECT DISTINCT p.spotify_user_id, p.played_at
    FROM polled_music AS p
    JOIN exported_once AS e
        ON e.spotify_user_id = p.spotify_user_id
        AND e.ended_at BETWEEN
            DATEADD(second, CASE WHEN e.export_kind = 'account_data' THEN -90 ELSE -30 END, p.played_at)
            AND DATEADD(second, 30, p.played_at)
        AND (
            (e.track_id IS NOT NULL AND p.track_id IS NOT NULL AND e.track_id = p.track_id)
            OR ((e.track_id IS NULL OR p.track_id IS NULL) AND e.track_name = p.track_name)
        )
),
primary_artists AS (
    SELECT cta.track_id, a.artist_name
    FROM current_track_artists AS cta
    LEFT JOIN current_artists AS a
        ON a.artist_id = cta.artist_id
    QUALIFY ROW_NUMBER() OVER (PARTITION BY cta.track_id ORDER BY cta.artist_position) = 1
)
SELECT
    spotify_user_id,
    track_id,
    ended_at,
    ms_played,
    'export' AS source,
    track_name,
    artist_name,
    album_name,
    skipped
FROM exported_once
UNION ALL
SELECT
    p.spotify_user_id,
    p.track_id,
    p.played_at AS ended_at,
    p.duration_ms AS ms_played,
    'poll' AS source,
    p.track_name,
    pa.artist_name,
    al.album_name,
    CAST(NULL AS BOOLEAN) AS skipped
FROM polled_music AS p
LEFT JOIN polls_seen_in_exports AS m
    ON m.spotify_user_id = p.spotify_user_id
    AND m.played_at = p.played_at
LEFT JOIN primary_artists AS pa
    ON pa.track_id = p.track_id
LEFT JOIN current_albums AS al
    ON al.album_id = p.album_id
WHERE m.played_at IS NULL;
