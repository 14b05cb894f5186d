-- The action of every alert: the rows its condition found, as one JSON message on the pipeline's alarm topic (SNS),
-- naming the alert and the account object; each row names what failed (a check and its table, a pipe) and why.
EXECUTE IMMEDIATE $$
DECLARE
    message VARCHAR;
BEGIN
    SELECT TO_JSON(OBJECT_CONSTRUCT(
        'alert', '{{alert}}',
        'schema', '{{database}}.{{schema}}',
        'summary', '{{summary}}',
        'findings', ARRAY_AGG(OBJECT_CONSTRUCT(*))
    ))
    INTO :message
    FROM TABLE(RESULT_SCAN(SNOWFLAKE.ALERT.GET_CONDITION_QUERY_UUID()));
    CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(
        SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:message),
        SNOWFLAKE.NOTIFICATION.INTEGRATION('{{integration}}')
    );
END;
$$
