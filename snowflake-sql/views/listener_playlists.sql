-- Whose each playlist is now: one row per playlist and listener it belongs to (owner, collaborator, or reader: read
-- for them by the configuration), as the playlist's latest visible run says. A playlist read only before listeners
-- (or with an app token) belongs to nobody and has no row: the analyses show it with no listener.
CREATE OR REPLACE VIEW listener_playlists AS
SELECT
    pl.spotify_user_id,
    COALESCE(l.listener_name, pl.listener_name, pl.spotify_user_id) AS listener_name,
    pl.playlist_id,
    pl.role,
    pl.run_id
FROM committed_playlist_listeners AS pl
JOIN current_playlists AS p
    ON p.playlist_id = pl.playlist_id
    AND p.run_id = pl.run_id
LEFT JOIN listeners AS l
    ON l.spotify_user_id = pl.spotify_user_id;
