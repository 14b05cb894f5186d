-- The weekly playlist chart: every position of every playlist per chart week, from the run that stands for the
-- week (playlist_weeks); each position once (committed_playlist_tracks).
CREATE OR REPLACE VIEW playlist_chart AS
SELECT
    p.playlist_id,
    w.chart_week,
    p.run_id,
    p.extract_date,
    p.position + 1 AS chart_rank,
    p.position,
    p.item_type,
    p.item_id,
    p.item_name,
    p.track_id,
    p.is_local,
    p.added_at,
    p.added_by_id
FROM committed_playlist_tracks AS p
JOIN playlist_weeks AS w
    ON w.playlist_id = p.playlist_id
    AND w.run_id = p.run_id;
