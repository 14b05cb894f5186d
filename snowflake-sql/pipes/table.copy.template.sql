-- The COPY of each table's auto-ingest pipe, rendered once per table of schemas/tables.json; a file
-- pipes/<table>.copy.sql beside this one replaces it for that table. Columns match by name, so tables.json decides
-- the table. USE_LOGICAL_TYPE: the Parquet timestamps are UTC wall-clock times (isAdjustedToUTC = false) and land in
-- TIMESTAMP_NTZ as they are. PATTERN: only the data files of an attempt folder, never a committer's temporary or
-- hidden file. Every row records its file and load time.
COPY INTO {{database}}.{{schema}}.{{table}}
FROM @{{database}}.{{schema}}.{{stage}}/{{table}}/
FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)
MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE
INCLUDE_METADATA = (source_file = METADATA$FILENAME, loaded_at = METADATA$START_SCAN_TIME)
PATTERN = '.*extract_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/run_id=[^/]+/attempt_id=[^/]+/[^/_.][^/]*[.]parquet';
