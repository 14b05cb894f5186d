-- The credits of each current track (from the same run as its current row), once per artist.
CREATE OR REPLACE VIEW current_track_artists AS
SELECT
    ta.track_id,
    ta.artist_id,
    ta.artist_position
FROM track_artists AS ta
JOIN current_tracks AS t
    ON t.track_id = ta.track_id
    AND t.run_id = ta.run_id
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY ta.track_id, ta.artist_id
    ORDER BY ta.loaded_at DESC, ta.source_file DESC
) = 1;
