-- The COPY of the saved_tracks pipe (auto-ingest). Columns match by name, so the one schema source
-- (schemas/tables.json) decides the table; every row records its file and load time.
COPY INTO {{database}}.{{schema}}.saved_tracks
FROM @{{database}}.{{schema}}.{{stage}}/saved_tracks/
FILE_FORMAT = (FORMAT_NAME = '{{database}}.{{schema}}.{{file_format}}')
MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE
INCLUDE_METADATA = (source_file = METADATA$FILENAME, loaded_at = METADATA$START_SCAN_TIME)
PATTERN = '.*extract_date=[0-9-]+/run_id=[^/]+/[^/]+[.]parquet';
