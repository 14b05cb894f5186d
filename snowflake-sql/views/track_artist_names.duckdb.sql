-- One line of credits per current track ("A, B, C" in credit order). DuckDB has no LISTAGG ... WITHIN GROUP.
CREATE OR REPLACE VIEW track_artist_names AS
SELECT
    cta.track_id,
    STRING_AGG(COALESCE(a.artist_name, cta.artist_id), ', ' ORDER BY cta.artist_position) AS artist_names,
    COUNT(*) AS artist_count
FROM current_track_artists AS cta
LEFT JOIN current_artists AS a
    ON a.artist_id = cta.artist_id
GROUP BY cta.track_id;
