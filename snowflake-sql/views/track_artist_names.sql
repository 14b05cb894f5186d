-- One line of credits per current track ("A, B, C" in credit order). The local warehouse respells LISTAGG ... WITHIN
-- GROUP for DuckDB (local/warehouse/snowflake-on-duckdb.ts); there is no per-dialect copy of this file.
CREATE OR REPLACE VIEW track_artist_names AS
SELECT
    cta.track_id,
    LISTAGG(COALESCE(a.artist_name, cta.artist_id), ', ') WITHIN GROUP (ORDER BY cta.artist_position) AS artist_names,
    COUNT(*) AS artist_count
FROM current_track_artists AS cta
LEFT JOIN current_artists AS a
    ON a.artist_id = cta.artist_id
GROUP BY cta.track_id;
