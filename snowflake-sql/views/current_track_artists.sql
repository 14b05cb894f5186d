-- The credits of each current track: those of the same run as its current row, in credit order.
CREATE OR REPLACE VIEW current_track_artists AS
SELECT
    ta.track_id,
    ta.artist_id,
    ta.artist_position
FROM committed_track_artists AS ta
JOIN current_tracks AS t
    ON t.track_id = ta.track_id
    AND t.run_id = ta.run_id;
