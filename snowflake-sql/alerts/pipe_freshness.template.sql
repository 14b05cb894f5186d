-- Finds each pipe that stopped: not running, or files pending with nothing ingested for {{pending_minutes}} minutes; and loading gone silent: the pipe of {{heartbeat_table}} (every committed transform attempt writes to it) ingested nothing for {{idle_hours}} hours, or never (missing data is an alarm).
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
),
findings AS (
    SELECT
        table_name,
        pipe,
        CASE
            WHEN execution_state <> 'RUNNING' THEN 'the pipe is ' || execution_state
            WHEN pending_files > 0 AND COALESCE(last_ingested_at < DATEADD(minute, -{{pending_minutes}}, CURRENT_TIMESTAMP()), TRUE)
                THEN CAST(pending_files AS VARCHAR) || ' files pending, nothing ingested for {{pending_minutes}} minutes'
            WHEN table_name = '{{heartbeat_table}}' AND last_ingested_at IS NULL
                THEN 'nothing ingested yet: no transform attempt has been loaded'
            WHEN table_name = '{{heartbeat_table}}' AND last_ingested_at < DATEADD(hour, -{{idle_hours}}, CURRENT_TIMESTAMP())
                THEN 'no commit record ingested since ' || CAST(last_ingested_at AS VARCHAR) || ', over {{idle_hours}} hours ago'
        END AS detail
    FROM state
)
SELECT table_name, pipe, detail
FROM findings
WHERE detail IS NOT NULL
