-- The rows of a loaded table the views read: those of the visible attempt of each run id (committed_attempts),
-- each key of schemas/tables.json once (a file loaded twice, e.g. by a recreated pipe, counts once). Rendered for
-- every data table of schemas/tables.json as committed_<table>.
CREATE OR REPLACE VIEW committed_{{table}} AS
SELECT t.*
FROM {{table}} AS t
JOIN committed_attempts AS c
    ON c.run_id = t.run_id
    AND c.attempt_id = t.attempt_id
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY {{key_columns}}
    ORDER BY t.loaded_at DESC, t.source_file DESC
) = 1;
