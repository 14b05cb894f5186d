"""DataFrame functions: raw files -> parsed records -> one typed, deduplicated DataFrame per processed table.

The raw files are parsed once, in the executors, by plain Python (parse.py) into one record DataFrame: _tag,
_rank, _payload (JSON, only for rejects and file statuses) and one struct column per parsed table, typed per
tables.json and filled only on that table's records. The rows cross from Python into the JVM as Arrow batches
(mapInArrow), column by column, instead of one pickled tuple and one JSON text per row to be re-parsed by Spark.
Each table is then a filter of that DataFrame, a dedup on the table key from tables.json, and a select in the
schema's column order and types.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from typing import Any, Iterable, Iterator, Mapping

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .parse import check_parsers, parse_partition
from .raw_documents import RawDocuments, load_raw_documents
from .records import OBJECT, REJECT, TRACK_ARTISTS_FIELD, Record, RunContext
from .schemas import Schemas, TableSchema, spark_type

# The record columns before the per-table struct columns.
RECORD_BASE_FIELDS = (
    T.StructField("_tag", T.StringType(), False),
    T.StructField("_rank", T.StringType(), False),
    T.StructField("_payload", T.StringType(), True),
)
# Rows per Arrow batch handed to the JVM: large enough to amortise the per-batch cost, small enough that a
# worker holds only a few MB of built columns at a time.
BATCH_ROWS = 8192

REJECT_SCHEMA = T.StructType(
    [T.StructField(name, T.StringType(), True) for name in ("run_id", "extract_date", "object_key", "locator", "reason", "record")]
)

# Tables built from other tables' rows, not parsed: track_artists from the deduplicated tracks rows.
DERIVED_TABLES = ("track_artists",)


class RunColumns:
    """Values of the run columns (run_id, extract_date, extracted_at, attempt_id) stamped on every row."""

    def __init__(self, run_id: str, extract_date: dt.date, extracted_at: dt.datetime, attempt_id: str):
        self.run_id = run_id
        self.extract_date = extract_date
        self.extracted_at = extracted_at.astimezone(dt.timezone.utc)
        self.attempt_id = attempt_id

    def column(self, name: str) -> Column:
        if name == "run_id":
            return F.lit(self.run_id)
        if name == "attempt_id":
            return F.lit(self.attempt_id)
        if name == "extract_date":
            return F.lit(self.extract_date)
        if name == "extracted_at":
            return utc_timestamp_literal(self.extracted_at)
        raise ValueError(f"tables.json declares run column {name!r}, which this job does not know how to fill")


def utc_timestamp_literal(value: dt.datetime) -> Column:
    """A UTC instant as a TIMESTAMP_NTZ column (its UTC wall-clock time), independent of any time zone setting."""
    micros = int((value.astimezone(dt.timezone.utc) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) / dt.timedelta(microseconds=1))
    return F.expr(f"timestamp_micros({micros}L)").cast(T.TimestampNTZType())


def payload_schema(table: TableSchema, run_column_names: Iterable[str]) -> T.StructType:
    """How parse.py writes a table row as JSON: dates as strings, timestamps as epoch microseconds."""
    run_names = set(run_column_names)
    fields = []
    for column in table.columns:
        if column.name in run_names:
            continue
        if column.type == "date":
            data_type: T.DataType = T.StringType()
        elif column.type == "timestamp":
            data_type = T.LongType()
        else:
            data_type = spark_type(column.type)
        fields.append(T.StructField(column.name, data_type, True))
    if table.name == "tracks":
        artist = T.StructType([T.StructField("artist_id", T.StringType()), T.StructField("artist_position", T.IntegerType())])
        fields.append(T.StructField(TRACK_ARTISTS_FIELD, T.ArrayType(artist), True))
    return T.StructType(fields)


def record_schema(schemas: Schemas, run_column_names: Iterable[str]) -> T.StructType:
    """The record DataFrame: the base columns, then one struct per parsed table that tables.json defines."""
    run_names = list(run_column_names)
    parsed = [name for name in schemas.data_table_names if name not in DERIVED_TABLES]
    tables = [T.StructField(name, payload_schema(schemas.table(name), run_names), True) for name in parsed]
    return T.StructType(list(RECORD_BASE_FIELDS) + tables)


def arrow_type(data_type: T.DataType) -> Any:
    """The Arrow type Spark reads a record column as (only the types payload_schema uses)."""
    import pyarrow as pa

    simple = {T.StringType: pa.string(), T.IntegerType: pa.int32(), T.LongType: pa.int64(), T.DoubleType: pa.float64(), T.BooleanType: pa.bool_()}
    if type(data_type) in simple:
        return simple[type(data_type)]
    if isinstance(data_type, T.ArrayType):
        return pa.list_(arrow_type(data_type.elementType))
    if isinstance(data_type, T.StructType):
        return pa.struct([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in data_type.fields])
    raise ValueError(f"no Arrow type for record column type {data_type.simpleString()}")


def _without_lone_surrogates(value: Any) -> Any:
    # JSON escapes can decode to lone surrogates, which UTF-8 (Arrow) cannot hold: each becomes U+FFFD, as it did
    # when rows crossed into the JVM as pickled text.
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


def _record_batch(arrow_schema: Any, tag: str, ranks: list[str], rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    n = len(ranks)
    columns = [pa.array([tag] * n, pa.string()), pa.array(ranks, pa.string())]
    if tag in (REJECT, OBJECT):
        columns.append(pa.array([json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows], pa.string()))
    else:
        columns.append(pa.nulls(n, pa.string()))
    for field in list(arrow_schema)[3:]:
        columns.append(pa.array(rows, field.type) if field.name == tag else pa.nulls(n, field.type))
    return pa.RecordBatch.from_arrays(columns, schema=arrow_schema)


def record_batches(records: Iterable[Record], arrow_schema: Any, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Parsed records -> Arrow record batches of the record schema, one tag per batch (the other structs null)."""
    columns = set(arrow_schema.names[3:]) | {REJECT, OBJECT}
    pending: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}

    def flush(tag: str) -> Any:
        ranks, rows = pending.pop(tag)
        try:
            return _record_batch(arrow_schema, tag, ranks, rows)
        except UnicodeEncodeError:
            return _record_batch(arrow_schema, tag, _without_lone_surrogates(ranks), _without_lone_surrogates(rows))

    for tag, rank, row in records:
        if tag not in columns:  # a table tables.json does not define: nothing would read it
            continue
        ranks, rows = pending.setdefault(tag, ([], []))
        ranks.append(rank)
        rows.append(row)
        if len(ranks) >= batch_rows:
            yield flush(tag)
    for tag in list(pending):
        yield flush(tag)


def _parse_arrow_files(ctx: RunContext, arrow_schema: Any, batches: Iterable[Any]) -> Iterator[Any]:
    """mapInArrow body, run in the executors: batches of (path, content) files -> record batches."""

    def files() -> Iterator[tuple[str, bytes]]:
        for batch in batches:
            contents = batch.column(1)
            for index, path in enumerate(batch.column(0).to_pylist()):
                yield path, contents[index].as_py()

    # Parsing allocates millions of dicts, and each of the cyclic GC's passes walks every live one (the partition's
    # dimension rows included): ~20 % of the parse time, for JSON trees that hold no reference cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield from record_batches(parse_partition(ctx, files()), arrow_schema)
    finally:
        if enabled:
            gc.enable()


def parse_raw_files(spark: SparkSession, folders: list[str], ctx: RunContext, schemas: Schemas) -> DataFrame:
    """Every file in the given folders, parsed once in the executors -> the record DataFrame (record_schema)."""
    import pyarrow as pa

    schema = record_schema(schemas, [c.name for c in schemas.run_columns])
    arrow_schema = pa.schema([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in schema.fields])
    if folders:
        files = spark.read.format("binaryFile").load(folders).select("path", "content")
    else:
        files = spark.range(0).select(F.lit(None).cast("string").alias("path"), F.lit(None).cast("binary").alias("content"))
    return files.mapInArrow(lambda batches: _parse_arrow_files(ctx, arrow_schema, batches), schema)


_NEVER_USED_DEFAULTS = {
    "string": "''",
    "int": "0",
    "bigint": "0L",
    "double": "0D",
    "boolean": "false",
    "date": "DATE'1970-01-01'",
    "timestamp": "CAST(TIMESTAMP_MICROS(0) AS TIMESTAMP_NTZ)",
}


def typed_column(df_column: Column, logical: str, nullable: bool) -> Column:
    if logical == "date":
        value = F.to_date(df_column, "yyyy-MM-dd")
    elif logical == "timestamp":
        # Epoch microseconds (UTC) -> TIMESTAMP_NTZ holding the UTC wall-clock time; the cast from Spark's
        # instant type goes through the session time zone, which configure_session pins to UTC.
        value = F.timestamp_micros(df_column).cast(T.TimestampNTZType())
    else:
        value = df_column.cast(spark_type(logical))
    if not nullable:
        # parse.py never emits a null here (such records are rejected instead); the coalesce only tells Spark
        # the column is non-null, so the Parquet column is REQUIRED exactly as tables.json says.
        value = F.coalesce(value, F.expr(_NEVER_USED_DEFAULTS[logical]))
    return value


def conform(df: DataFrame, table: TableSchema, run: RunColumns, run_column_names: Iterable[str]) -> DataFrame:
    """Columns in tables.json order and types, with the run columns filled in."""
    run_names = set(run_column_names)
    columns = []
    for column in table.columns:
        if column.name in run_names:
            value = run.column(column.name)
            if column.type == "date":
                value = value.cast(T.DateType())
        else:
            value = typed_column(F.col(column.name), column.type, column.nullable)
        columns.append(value.alias(column.name))
    return df.select(*columns)


def table_rows(records: DataFrame, table: TableSchema) -> DataFrame:
    """A table's rows deduplicated: one row per table key (smallest rank wins)."""
    parsed = records.where(F.col("_tag") == table.name).select("_rank", f"{table.name}.*")
    if not table.key:
        return parsed.drop("_rank")
    window = Window.partitionBy(*table.key).orderBy("_rank")
    return parsed.withColumn("_n", F.row_number().over(window)).where(F.col("_n") == 1).drop("_n", "_rank")


def track_artists_rows(tracks: DataFrame) -> DataFrame:
    """The bridge from the winning tracks rows: one row per credited artist, in credit order."""
    return tracks.select("track_id", "spotify_user_id", F.explode(TRACK_ARTISTS_FIELD).alias("a")).select(
        "track_id", "a.artist_id", "a.artist_position", "spotify_user_id"
    )


KNOWN_RUN_COLUMNS = ("run_id", "extract_date", "extracted_at", "attempt_id")
# The columns of the commit-record table the job fills (besides the run columns); see commit_frame.
COMMIT_COLUMNS = ("table_name", "row_count", "file_count", "committed_at")


def check_schemas(schemas: Schemas, declaration: RawDocuments | None = None) -> None:
    """Fails before any data is read when tables.json asks for something this job cannot produce: a table no kind of
    raw document fills (schemas/raw-documents.json), or a document kind this job has no parser for."""
    declaration = declaration or load_raw_documents()
    check_parsers(declaration)
    commit = schemas.table(schemas.commit_table_name)
    unknown_commit = [c.name for c in commit.columns if c.name not in COMMIT_COLUMNS + KNOWN_RUN_COLUMNS]
    if unknown_commit:
        raise ValueError(f"{schemas.path}: the commit table {commit.name} has column(s) {unknown_commit} this job does not fill")
    produced = set(declaration.filled_tables) | set(DERIVED_TABLES)
    missing = [name for name in schemas.data_table_names if name not in produced]
    if missing:
        raise ValueError(
            f"{schemas.path} defines table(s) {missing} that this job does not produce; no document kind of "
            f"{declaration.path} fills them: declare which kind does and parse it (glue/spotify_transform) before "
            "deploying the schema"
        )
    unknown = [c.name for c in schemas.run_columns if c.name not in KNOWN_RUN_COLUMNS]
    if unknown:
        raise ValueError(f"{schemas.path} declares run column(s) {unknown}; this job fills only {KNOWN_RUN_COLUMNS}")


def build_tables(records: DataFrame, schemas: Schemas, run: RunColumns) -> dict[str, DataFrame]:
    """All processed tables of one run, typed per tables.json, keyed by table name.

    The key "_tracks_cache" holds the persisted, deduplicated tracks rows both tracks and track_artists read;
    it is not a table: the caller pops it and unpersists it when the tables are written.
    """
    run_names = [c.name for c in schemas.run_columns]
    frames: dict[str, DataFrame] = {}
    # Read twice (tracks and track_artists): dedup once. The caller unpersists it (see job.py).
    tracks = table_rows(records, schemas.table("tracks")).persist(StorageLevel.MEMORY_AND_DISK)
    frames["_tracks_cache"] = tracks
    for name in schemas.data_table_names:
        table = schemas.table(name)
        if name == "tracks":
            rows = tracks
        elif name == "track_artists":
            rows = track_artists_rows(tracks)
        else:
            rows = table_rows(records, table)
        frames[name] = conform(rows, table, run, run_names)
    return frames


def commit_frame(
    spark: SparkSession, schemas: Schemas, run: RunColumns, published: Mapping[str, Mapping[str, int]], committed_at: dt.datetime
) -> DataFrame:
    """The commit record of an attempt: one row per table it published (rows and files), typed per tables.json."""
    table = schemas.table(schemas.commit_table_name)
    rows = [(name, int(v["rows"]), int(v["files"])) for name, v in sorted(published.items())]
    schema = T.StructType(
        [T.StructField("table_name", T.StringType(), False), T.StructField("row_count", T.LongType(), False),
         T.StructField("file_count", T.IntegerType(), False)]
    )
    frame = spark.createDataFrame(rows, schema)
    columns = []
    for column in table.columns:
        if column.name == "committed_at":
            value = utc_timestamp_literal(committed_at)
        elif column.name in KNOWN_RUN_COLUMNS:
            value = run.column(column.name)
        else:
            value = F.col(column.name)
        value = value.cast(spark_type(column.type))
        if not column.nullable:
            value = F.coalesce(value, F.expr(_NEVER_USED_DEFAULTS[column.type]))
        columns.append(value.alias(column.name))
    return frame.select(*columns)


def rejects_frame(spark: SparkSession, records: DataFrame, extra: Iterable[Mapping[str, Any]] = ()) -> DataFrame:
    """Rejected records (plus any the driver found, e.g. objects the manifest lists but that are missing)."""
    parsed = (
        records.where(F.col("_tag") == REJECT)
        .select("_rank", F.from_json("_payload", REJECT_SCHEMA).alias("r"))
        .select("_rank", "r.*")
    )
    extra_rows = [(e["_rank"], *(e.get(f.name) for f in REJECT_SCHEMA.fields)) for e in extra]
    if extra_rows:
        schema = T.StructType([T.StructField("_rank", T.StringType())] + REJECT_SCHEMA.fields)
        parsed = parsed.unionByName(spark.createDataFrame(extra_rows, schema))
    return parsed


def record_summary(records: DataFrame) -> tuple[dict[str, int], list[dict[str, Any]], dict[str, str]]:
    """Records per tag, what happened to each raw file (parsed / rejected / unlisted), and the paging issues of the
    playlists whose pages disagreed (playlist_id -> codes), in one Spark job.

    Being the first action on the persisted records, it is also the one pass that parses every raw file.
    """
    issues = (
        F.when(F.col("playlist_snapshots.paging_issues").isNotNull(), F.concat_ws("|", "playlist_snapshots.playlist_id", "playlist_snapshots.paging_issues"))
        if "playlist_snapshots" in records.columns and "paging_issues" in records.schema["playlist_snapshots"].dataType.names
        else F.lit(None).cast("string")
    )
    rows = (
        records.groupBy("_tag")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.collect_list(F.when(F.col("_tag") == OBJECT, F.col("_payload"))).alias("objects"),
            F.collect_list(issues).alias("issues"),
        )
        .collect()
    )
    counts = {row["_tag"]: row["n"] for row in rows}
    statuses = [json.loads(p) for row in rows for p in row["objects"]]
    paging = dict(sorted(tuple(text.rsplit("|", 1)) for row in rows for text in row["issues"]))  # type: ignore[misc]
    return counts, statuses, paging
