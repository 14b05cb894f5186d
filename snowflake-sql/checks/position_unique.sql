-- Guards: playlist_chart counts each (playlist, week, position) once, so weekly chart facts never double-count.
-- Per: warehouse
WITH duplicated AS (
    SELECT playlist_id
    FROM playlist_chart
    GROUP BY playlist_id, chart_week, position
    HAVING COUNT(*) > 1
)
SELECT
    'playlist_chart' AS table_name,
    'position_unique' AS check_name,
    COUNT(*) = 0 AS passed,
    CASE
        WHEN COUNT(*) = 0 THEN 'one row per (playlist_id, chart_week, position)'
        ELSE CAST(COUNT(*) AS VARCHAR) || ' (playlist_id, chart_week, position) counted more than once'
    END AS detail
FROM duplicated;
