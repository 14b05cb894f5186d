-- What each playlist holds now: its chart rows of the latest week it was extracted.
CREATE OR REPLACE VIEW current_playlist_items AS
SELECT c.*
FROM playlist_chart AS c
QUALIFY c.chart_week = MAX(c.chart_week) OVER (PARTITION BY c.playlist_id);
