-- The weekly playlist chart: every position of every playlist, per week (the latest run of that week),
-- each playlist position once even if its file was loaded twice.
CREATE OR REPLACE VIEW playlist_chart AS
WITH positions AS (
    SELECT
        playlist_id,
        position,
        item_type,
        item_id,
        item_name,
        track_id,
        is_local,
        added_at,
        added_by_id,
        run_id,
        extract_date,
        extracted_at,
        CAST(DATE_TRUNC('week', extract_date) AS DATE) AS chart_week
    FROM playlist_tracks
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY run_id, playlist_id, position
        ORDER BY loaded_at DESC, source_file DESC
    ) = 1
),
week_runs AS (
    SELECT playlist_id, chart_week, run_id
    FROM (SELECT DISTINCT playlist_id, chart_week, run_id, extracted_at FROM positions) AS runs
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY playlist_id, chart_week
        ORDER BY extracted_at DESC, run_id DESC
    ) = 1
)
SELECT
    p.playlist_id,
    p.chart_week,
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
FROM positions AS p
JOIN week_runs AS w
    ON w.playlist_id = p.playlist_id
    AND w.chart_week = p.chart_week
    AND w.run_id = p.run_id;
