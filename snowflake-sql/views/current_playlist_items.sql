-- What each playlist holds now: its chart rows of the latest week it was extracted in (none if it was emptied).
CREATE OR REPLACE VIEW current_playlist_items AS
WITH latest_weeks AS (
    SELECT playlist_id, MAX(chart_week) AS chart_week
    FROM playlist_weeks
    GROUP BY playlist_id
)
SELECT c.*
FROM playlist_chart AS c
JOIN latest_weeks AS l
    ON l.playlist_id = c.playlist_id
    AND l.chart_week = c.chart_week;
