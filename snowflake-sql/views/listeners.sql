-- One row per listener id seen in the data: the configured name of their latest profile, else their Spotify
-- display name, else their Spotify user id; and their immutable account id (NULL until a run read it). The
-- account id is the identity: user ids may change, so two rows with one account_id are one person.
CREATE OR REPLACE VIEW listeners AS
WITH seen AS (
    SELECT spotify_user_id FROM committed_plays
    UNION
    SELECT spotify_user_id FROM committed_saved_tracks
    UNION
    SELECT spotify_user_id FROM committed_followed_artists
    UNION
    SELECT spotify_user_id FROM committed_listener_profiles
    UNION
    -- A listener whose only data is top lists (listening turned off); runs from before listeners have no id.
    SELECT spotify_user_id FROM committed_user_top_items WHERE spotify_user_id IS NOT NULL
),
latest_profile AS (
    SELECT spotify_user_id, listener_name, display_name
    FROM committed_listener_profiles
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY spotify_user_id
        ORDER BY extracted_at DESC, run_id DESC
    ) = 1
),
-- The latest account id read for the user id (profiles from before account ids were read have none).
latest_account AS (
    SELECT spotify_user_id, account_id
    FROM committed_listener_profiles
    WHERE account_id IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY spotify_user_id
        ORDER BY extracted_at DESC, run_id DESC
    ) = 1
)
SELECT
    s.spotify_user_id,
    COALESCE(p.listener_name, p.display_name, s.spotify_user_id) AS listener_name,
    p.display_name,
    a.account_id
FROM seen AS s
LEFT JOIN latest_profile AS p
    ON p.spotify_user_id = s.spotify_user_id
LEFT JOIN latest_account AS a
    ON a.spotify_user_id = s.spotify_user_id;
