-- Question: How many listens does each UTC day hold, per source? (the coverage of exports and polls)
-- Binds: spotify_user_id.
SELECT
    CAST(ended_at AS DATE) AS utc_day,
    source,
    COUNT(*) AS listens
FROM listening_history
WHERE spotify_user_id = ?
GROUP BY CAST(ended_at AS DATE), source
ORDER BY utc_day, source;
