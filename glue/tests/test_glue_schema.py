"""The written Parquet files match schemas/tables.json, the one schema source: names, order, types, nullability."""

from __future__ import annotations

import pytest

from glue_testing import WEEK2_DATE, WEEK2_RUN_ID, Bucket
from spotify_transform.schemas import load_schemas

PARQUET_TYPES = {
    "string": "binary",
    "int": "int32",
    "bigint": "int64",
    "double": "double",
    "boolean": "boolean",
    "date": "int32",
    "timestamp": "int64",
}
# Timestamps are UTC wall-clock times without a zone (isAdjustedToUTC=false): no reader shifts them by its
# session's time zone (Snowflake loads them into TIMESTAMP_NTZ with USE_LOGICAL_TYPE = TRUE).
LOGICAL_ANNOTATIONS = {"string": "(STRING)", "date": "(DATE)", "timestamp": "(TIMESTAMP(MICROS,false))"}


def parquet_footer_schema(spark, path) -> list[str]:
    """The Parquet schema written in a file's footer, one line per column (as parquet-mr prints it)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop = jvm.org.apache.parquet.hadoop
    reader = hadoop.ParquetFileReader.open(hadoop.util.HadoopInputFile.fromPath(jvm.org.apache.hadoop.fs.Path("file://" + str(path)), conf))
    try:
        text = reader.getFooter().getFileMetaData().getSchema().toString()
    finally:
        reader.close()
    return [line.strip().rstrip(";") for line in text.splitlines()[1:-1]]


@pytest.fixture(scope="module")
def listening(spark, tmp_path_factory):
    """A run of listening documents, transformed: it writes the tables the golden (playlist) run has no rows for."""
    from test_glue_listening import _write_run

    bucket = _write_run(tmp_path_factory.mktemp("listening-schema"))
    _add_export_file(bucket)
    bucket.transform(spark)
    return bucket


def _add_export_file(bucket) -> None:
    """An imported export file in the same run (the job parses a streams file wherever its manifest lists it), so
    that streams is written too."""
    import hashlib
    import json

    data = json.dumps([{"ts": "2026-11-20T08:00:00Z", "ms_played": 1000, "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}]).encode()
    (bucket.run_dir / "streams").mkdir(exist_ok=True)
    (bucket.run_dir / "streams" / "Streaming_History_Audio_2026_0.json").write_bytes(data)
    manifest_path = bucket.run_dir / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["objects"].append({"key": f"raw/extract_date={bucket.extract_date}/run_id={bucket.run_id}/streams/Streaming_History_Audio_2026_0.json",
                                "kind": "streams", "entity_id": "sam", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    manifest_path.write_text(json.dumps(manifest))


def test_written_parquet_schema_equals_tables_json(spark, golden, listening, warehouse_bucket):
    schemas = load_schemas()
    # Week 2 of the warehouse bucket: playlists read with a listener's token (the golden run predates listeners).
    week2 = Bucket(warehouse_bucket[0], run_id=WEEK2_RUN_ID, extract_date=WEEK2_DATE)
    week2.attempt_id = "w2-rerun"
    for name in schemas.table_names:
        table = schemas.table(name)
        # A table without rows in a run has no file: each table is read from the run that has rows for it.
        bucket = next(b for b in (golden[0], listening, week2) if b.table_dir(name).exists())
        [part] = list(bucket.table_dir(name).glob("*.parquet"))
        # Spark's view: names, order, types.
        read = spark.read.parquet(str(part)).schema
        assert [(f.name, f.dataType) for f in read.fields] == [(f.name, f.dataType) for f in table.spark_schema().fields], name
        # The file itself: nullability (REQUIRED/OPTIONAL) and the physical/logical types other readers see.
        expected = []
        for column in table.columns:
            repetition = "optional" if column.nullable else "required"
            annotation = LOGICAL_ANNOTATIONS.get(column.type)
            expected.append(
                f"{repetition} {PARQUET_TYPES[column.type]} {column.name}" + (f" {annotation}" if annotation else "")
            )
        assert parquet_footer_schema(spark, part) == expected, name


def test_timestamps_are_written_as_timestamp_micros(spark, golden):
    bucket, _ = golden
    [part] = list(bucket.table_dir("playlist_tracks").glob("*.parquet"))
    lines = parquet_footer_schema(spark, part)
    assert "optional int64 added_at (TIMESTAMP(MICROS,false))" in lines
    assert "required int64 extracted_at (TIMESTAMP(MICROS,false))" in lines
