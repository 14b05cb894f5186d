-- The run that stands for each playlist in each chart week: the latest visible run of that week that extracted
-- the playlist (an emptied playlist still has its week, with no chart rows).
CREATE OR REPLACE VIEW playlist_weeks AS
SELECT
    s.playlist_id,
    w.chart_week,
    s.run_id,
    s.extract_date
FROM committed_playlist_snapshots AS s
JOIN run_weeks AS w
    ON w.run_id = s.run_id
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY s.playlist_id, w.chart_week
    ORDER BY w.extracted_at DESC, s.run_id DESC
) = 1;
