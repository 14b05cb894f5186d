-- Question: Since when, until when and how much has each listener listened, per source? (export or poll)
SELECT
    spotify_user_id,
    source,
    MIN(ended_at) AS first_listen,
    MAX(ended_at) AS last_listen,
    COUNT(*) AS listens
FROM listening_history
GROUP BY spotify_user_id, source
ORDER BY spotify_user_id, source;
