-- Week over week per playlist: entries, drop-outs and movers, comparing each chart week with the
-- playlist's previous extracted week (an emptied playlist's tracks all drop out). A track listed twice counts at
-- its best rank. A move is measured against the playlist's own reorder: among the tracks on both weeks, so a track
-- only pushed down by an entry, or up by a drop-out, did not move (rank_change compares those places; the ranks
-- shown are the real ones).
CREATE OR REPLACE VIEW chart_movements AS
WITH weekly_tracks AS (
    SELECT playlist_id, chart_week, track_id, MIN(chart_rank) AS best_rank
    FROM playlist_chart
    WHERE track_id IS NOT NULL
    GROUP BY playlist_id, chart_week, track_id
),
week_pairs AS (
    SELECT
        playlist_id,
        chart_week,
        LAG(chart_week) OVER (PARTITION BY playlist_id ORDER BY chart_week) AS previous_week
    FROM playlist_weeks
),
this_week AS (
    SELECT wp.playlist_id, wp.chart_week, wp.previous_week, wt.track_id, wt.best_rank
    FROM week_pairs AS wp
    JOIN weekly_tracks AS wt
        ON wt.playlist_id = wp.playlist_id
        AND wt.chart_week = wp.chart_week
    WHERE wp.previous_week IS NOT NULL
),
last_week AS (
    SELECT wp.playlist_id, wp.chart_week, wp.previous_week, wt.track_id, wt.best_rank
    FROM week_pairs AS wp
    JOIN weekly_tracks AS wt
        ON wt.playlist_id = wp.playlist_id
        AND wt.chart_week = wp.previous_week
),
joined AS (
    SELECT
        COALESCE(tw.playlist_id, lw.playlist_id) AS playlist_id,
        COALESCE(tw.chart_week, lw.chart_week) AS chart_week,
        COALESCE(tw.previous_week, lw.previous_week) AS previous_week,
        COALESCE(tw.track_id, lw.track_id) AS track_id,
        lw.best_rank AS previous_rank,
        tw.best_rank AS current_rank,
        tw.track_id IS NOT NULL AND lw.track_id IS NOT NULL AS kept
    FROM this_week AS tw
    FULL OUTER JOIN last_week AS lw
        ON lw.playlist_id = tw.playlist_id
        AND lw.chart_week = tw.chart_week
        AND lw.track_id = tw.track_id
),
kept_places AS (
    SELECT
        j.*,
        CASE WHEN j.kept THEN ROW_NUMBER() OVER (PARTITION BY j.playlist_id, j.chart_week, j.kept ORDER BY j.previous_rank) END AS previous_place,
        CASE WHEN j.kept THEN ROW_NUMBER() OVER (PARTITION BY j.playlist_id, j.chart_week, j.kept ORDER BY j.current_rank) END AS current_place
    FROM joined AS j
)
SELECT
    playlist_id,
    chart_week,
    previous_week,
    track_id,
    previous_rank,
    current_rank,
    CASE
        WHEN previous_rank IS NULL THEN 'entry'
        WHEN current_rank IS NULL THEN 'drop_out'
        WHEN current_place < previous_place THEN 'up'
        WHEN current_place > previous_place THEN 'down'
        ELSE 'same'
    END AS movement,
    previous_place - current_place AS rank_change
FROM kept_places;
