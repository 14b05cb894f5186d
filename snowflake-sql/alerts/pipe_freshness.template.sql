-- Finds each pipe that stopped: not running, files pending with nothing ingested for {{pending_minutes}} minutes, or nothing ingested for {{idle_hours}} hours (never counts as too long: missing data is an alarm).
WITH pipes AS (
    {{pipe_status_rows}}
),
state AS (
    SELECT
        table_name,
        pipe,
        status:executionState::VARCHAR AS execution_state,
        COALESCE(status:pendingFileCount::NUMBER, 0) AS pending_files,
        TRY_TO_TIMESTAMP_LTZ(status:lastIngestedTimestamp::VARCHAR) AS last_ingested_at
    FROM pipes
)
SELECT
    table_name,
    pipe,
    CASE
        WHEN execution_state <> 'RUNNING' THEN 'the pipe is ' || execution_state
        WHEN last_ingested_at IS NULL THEN 'the pipe has ingested nothing yet'
        WHEN pending_files > 0 AND last_ingested_at < DATEADD(minute, -{{pending_minutes}}, CURRENT_TIMESTAMP())
            THEN CAST(pending_files AS VARCHAR) || ' files pending, nothing ingested since ' || CAST(last_ingested_at AS VARCHAR)
        ELSE 'nothing ingested since ' || CAST(last_ingested_at AS VARCHAR)
    END AS detail
FROM state
WHERE execution_state <> 'RUNNING'
    OR last_ingested_at IS NULL
    OR last_ingested_at < DATEADD(hour, -{{idle_hours}}, CURRENT_TIMESTAMP())
    OR (pending_files > 0 AND last_ingested_at < DATEADD(minute, -{{pending_minutes}}, CURRENT_TIMESTAMP()))
