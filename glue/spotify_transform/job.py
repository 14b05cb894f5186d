"""One raw run -> processed Parquet tables and rejects: the whole transform, independent of Glue.

run_transform() is what the Glue entry point (glue/transform_job.py) calls with Glue's SparkSession, what the
local run calls through the same script with a local SparkSession (built in local/spark/, not here), and what the
tests call directly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from . import io as fsio
from .attempts import (
    AttemptError,
    SupersedeReport,
    attempt_folder,
    attempts_to_supersede,
    local_attempts,
    new_attempt_id,
    supersede_on_s3,
    validate_attempt_id,
)
from .manifest import ManifestError, input_locations, parse_manifest, validate_run_id
from .raw_documents import RawDocuments, load_raw_documents
from .records import RunContext
from .schemas import SchemaError, Schemas, load_schemas
from .transforms import RunColumns, build_tables, check_schemas, commit_frame, parse_raw_files, record_summary, rejects_frame

# Rows per Parquet file: few, large files per table per run (Snowpipe prefers ~100-250 MB compressed files;
# a million playlist_tracks rows is a few tens of MB), so nearly every run writes one file per table.
DEFAULT_ROWS_PER_FILE = 2_000_000


def _log(started: float, message: str) -> None:
    # Progress on stderr (stdout is reserved for the TRANSFORM_RESULT line); Glue ships stderr to CloudWatch.
    print(f"transform [{time.monotonic() - started:7.2f}s] {message}", file=sys.stderr, flush=True)


class TransformError(Exception):
    """The run cannot be transformed; the message names the cause and what to do. Nothing was published."""


def configure_session(spark: SparkSession) -> None:
    """Session settings the output depends on (set at runtime, so they apply to Glue's session too)."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.parquet.compression.codec", "snappy")
    # No _SUCCESS marker files next to the data: Snowpipe and the local loader should only see Parquet.
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def _supersede(processed: str, schemas: Schemas, extract_date: str, run_id: str, attempt_id: str) -> dict[str, Any]:
    """After the commit: the run's other attempts that this one supersedes. On S3 their objects are tagged for the
    lifecycle rule; locally they are only reported. A failure here never fails the committed attempt."""
    tables = schemas.data_table_names
    commit_table = schemas.commit_table_name
    try:
        if fsio.is_local(processed):
            root = fsio.local_path(processed)
            by_attempt = local_attempts(root, tables + [commit_table], extract_date, run_id)
            commits = local_attempts(root, [commit_table], extract_date, run_id)
            superseded, newer = attempts_to_supersede(by_attempt, commits, attempt_id)
            return SupersedeReport(superseded=superseded, newer=newer).as_dict()
        import boto3  # present on Glue; only the S3 path needs it

        return supersede_on_s3(boto3.client("s3"), processed, tables, commit_table, extract_date, run_id, attempt_id).as_dict()
    except Exception as error:  # the commit stands; the next attempt of this run sweeps again
        return SupersedeReport(error=f"{type(error).__name__}: {error}").as_dict()


def _read_manifest(fs: fsio.HadoopFs, raw: str, run_id: str, declaration: RawDocuments):
    """The run's manifest, validated; TransformError (nothing processed) when it is missing, unreadable or another run's."""
    manifest_uri = raw + declaration.manifest.file
    if not fs.exists(manifest_uri):
        raise TransformError(
            f"no {declaration.manifest.file} under {raw}: the extract run is incomplete (or the prefix is wrong); "
            "nothing was processed. Re-run the extract for this run, or pass the prefix of a complete run"
        )
    try:
        manifest_doc = json.loads(fs.read_text(manifest_uri))
    except ValueError as error:
        raise TransformError(f"{manifest_uri} is not valid JSON ({error}); nothing was processed: re-run the extract") from error
    try:
        return parse_manifest(manifest_doc, run_id, manifest_uri, declaration)
    except ManifestError as error:
        raise TransformError(f"{error}; nothing was processed") from error


def _missing_rejects(missing: list, run_id: str, extract_date: str) -> list[dict[str, Any]]:
    """A reject per object the manifest lists that is not under the run prefix."""
    return [
        {
            "_rank": f"{o.relative_path}|$",
            "run_id": run_id,
            "extract_date": extract_date,
            "object_key": o.key,
            "locator": "$",
            "reason": "listed in the manifest but not found under the run prefix; the raw object was deleted "
            "or never uploaded: re-run the extract",
            "record": None,
        }
        for o in missing
    ]


class _Attempt:
    """Writes one attempt's tables and rejects into its own folders, then its commit record, last; on any failure
    before the commit, removes what it wrote (its own files only) and re-raises."""

    def __init__(self, spark, fs, schemas, run, targets, rejects_target, rows_per_file, started, fail_before_commit):
        self.spark, self.fs, self.schemas, self.run = spark, fs, schemas, run
        self.targets, self.rejects_target, self.rows_per_file = targets, rejects_target, rows_per_file
        self.started, self.fail_before_commit = started, fail_before_commit

    def write_table(self, name: str, frame, tag_counts: dict[str, int]) -> dict[str, Any]:
        table = self.schemas.table(name)
        # Rows before dedup bound the rows written; the bridge is counted (cheap: tracks are cached).
        upper_bound = frame.count() if name == "track_artists" else tag_counts.get(name, 0)
        target = self.targets[name]
        if upper_bound == 0:
            # No rows: no file. A plays run has rows for 6 of the 12 tables, and a file per empty table per hourly
            # poll is thousands of tiny files a month for Snowpipe. The commit record still lists the table with 0
            # rows and 0 files, which is what attempt_loads compares the loaded rows (none) with.
            if self.fail_before_commit is not None:
                self.fail_before_commit(name)
            return {"rows": 0, "files": 0, "path": None}
        output = frame.coalesce(max(1, math.ceil(upper_bound / self.rows_per_file)))
        if table.key:  # rows in key order: stable files, better compression
            output = output.sortWithinPartitions(*table.key)
        output.write.mode("errorifexists").parquet(target)
        self.fs.remove_hidden_files(target)
        _log(self.started, f"wrote {name}")
        if self.fail_before_commit is not None:
            self.fail_before_commit(name)
        parts = [n for n in self.fs.list_names(target) if n.endswith(".parquet")]
        return {"rows": sum(self.fs.parquet_row_count(target + part) for part in parts), "files": len(parts), "path": target}

    def write_rejects(self, rejects) -> None:
        rejects.orderBy("_rank").drop("_rank").coalesce(1).write.mode("errorifexists").json(self.rejects_target)
        self.fs.remove_hidden_files(self.rejects_target)

    def publish(self, tables, tag_counts, rejects) -> tuple[dict[str, dict[str, Any]], dt.datetime]:
        """(per table: rows, files, path; committed_at). `rejects()` gives the rejects frame, or None if none."""
        try:
            # Each table is its own Spark job; on a small run each is mostly fixed cost (planning, scheduling, the
            # commit), so they run side by side and the executors' cores stay busy. Output does not depend on order.
            with ThreadPoolExecutor(max_workers=len(tables) + 1, thread_name_prefix="write") as pool:
                futures = {name: pool.submit(self.write_table, name, frame, tag_counts) for name, frame in tables.items()}
                frame = rejects()
                rejects_done = pool.submit(self.write_rejects, frame) if frame is not None else None
                summary = {name: future.result() for name, future in futures.items()}
                if rejects_done is not None:
                    rejects_done.result()
            # Every table is in its final place: the commit record, written last, makes the attempt visible.
            committed_at = dt.datetime.now(dt.timezone.utc)
            commit_target = self.targets[self.schemas.commit_table_name]
            commit_frame(self.spark, self.schemas, self.run, summary, committed_at).coalesce(1).write.mode("errorifexists").parquet(commit_target)
            self.fs.remove_hidden_files(commit_target)
            return summary, committed_at
        except BaseException:
            for uri in [*self.targets.values(), self.rejects_target]:  # this attempt's own files only
                try:
                    self.fs.delete(uri)
                except Exception:
                    pass
            raise


def run_transform(
    spark: SparkSession,
    *,
    raw_run_prefix: str,
    processed_prefix: str,
    rejects_prefix: str,
    run_id: str,
    attempt_id: str | None = None,
    schemas: Schemas | None = None,
    schema_path: str | None = None,
    raw_documents_path: str | None = None,
    rows_per_file: int = DEFAULT_ROWS_PER_FILE,
    fail_before_commit: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Transforms one complete raw run as one attempt; returns the TRANSFORM_RESULT summary. Raises TransformError.

    Every table goes straight to its attempt folder (new keys; nothing of another attempt is touched), then the
    commit record is written last. Until it exists the attempt is invisible to the warehouse views. A failure
    before the commit removes what this attempt wrote (best effort: a killed job leaves an uncommitted attempt,
    which stays invisible and is superseded by the next attempt of the run). `fail_before_commit` is a test seam,
    called with each table name once its files are written.
    """
    started = time.monotonic()
    try:
        declaration = load_raw_documents(raw_documents_path)
        validate_run_id(run_id, declaration)
        attempt_id = validate_attempt_id(attempt_id) if attempt_id else new_attempt_id()
        schemas = schemas or load_schemas(schema_path)
        check_schemas(schemas, declaration)
    except (ManifestError, SchemaError, AttemptError, ValueError) as error:
        raise TransformError(str(error)) from error
    configure_session(spark)
    fs = fsio.HadoopFs(spark)
    raw = fsio.folder_uri(raw_run_prefix)
    processed = fsio.folder_uri(processed_prefix)
    rejects_root = fsio.folder_uri(rejects_prefix)

    manifest = _read_manifest(fs, raw, run_id, declaration)
    extract_date = manifest.extract_date.isoformat()
    commit_table = schemas.commit_table_name
    targets = {name: attempt_folder(processed, name, extract_date, run_id, attempt_id) for name in schemas.table_names}
    rejects_target = attempt_folder(rejects_root, None, extract_date, run_id, attempt_id)
    taken = [uri for uri in [*targets.values(), rejects_target] if fs.exists(uri)]
    if taken:
        raise TransformError(
            f"attempt {attempt_id} of run {run_id} has already written {taken[0]}; an attempt id is used once. "
            "Start a new attempt (leave --ATTEMPT_ID out and one is generated)"
        )
    ctx = RunContext(
        run_id,
        extract_date,
        {
            o.relative_path: {"key": o.key, "sha256": o.sha256, "kind": o.kind, "entity_id": o.entity_id, "belongs_to": o.belongs_to}
            for o in manifest.objects
        },
    )
    run = RunColumns(run_id, manifest.extract_date, manifest.extracted_at, attempt_id)

    # Read only the folders the manifest lists objects in, plus the earlier runs' objects it reuses (a missing
    # location would fail the whole read; its objects are reported missing below).
    try:
        folders = [f for f in input_locations(manifest, raw) if fs.exists(f)]
    except ManifestError as error:
        raise TransformError(f"{error}; nothing was processed") from error
    _log(started, f"run {run_id}, attempt {attempt_id}: {len(manifest.objects)} objects listed in the manifest ({manifest.status})")
    records = parse_raw_files(spark, folders, ctx, schemas).persist(StorageLevel.MEMORY_AND_DISK)
    cached_tracks = None
    try:
        # The first action parses every file once and fills the cache every table below reads from.
        tag_counts, statuses, paging_issues = record_summary(records)
        _log(started, f"parsed {len(statuses)} raw files into {sum(tag_counts.values())} records")
        seen = {s["relative_path"] for s in statuses}
        missing = [o for o in manifest.objects if o.relative_path not in seen]
        missing_rejects = _missing_rejects(missing, run_id, extract_date)

        tables = build_tables(records, schemas, run)
        cached_tracks = tables.pop("_tracks_cache")
        reject_count = tag_counts.get("_reject", 0) + len(missing_rejects)

        attempt = _Attempt(spark, fs, schemas, run, targets, rejects_target, rows_per_file, started, fail_before_commit)
        summary, committed_at = attempt.publish(tables, tag_counts, lambda: rejects_frame(spark, records, missing_rejects) if reject_count else None)
        _log(started, f"committed attempt {attempt_id}: {len(summary)} tables and {reject_count} rejects")
    finally:
        if cached_tracks is not None:
            cached_tracks.unpersist()
        records.unpersist()

    superseded = _supersede(processed, schemas, extract_date, run_id, attempt_id)
    status_counts: dict[str, int] = {}
    for s in statuses:
        status_counts[s["status"]] = status_counts.get(s["status"], 0) + 1
    return {
        "run_id": run_id,
        "attempt_id": attempt_id,
        "extract_date": extract_date,
        "manifest_status": manifest.status,
        "manifest_errors": manifest.errors,
        "tables": summary,
        "commit_path": targets[commit_table],
        "committed_at": committed_at.isoformat().replace("+00:00", "Z"),
        "superseded_attempts": superseded,
        "paging_issues": paging_issues,
        "rejects": reject_count,
        "rejects_path": rejects_target if reject_count else None,
        "input_objects": len(manifest.objects),
        "objects": {
            "parsed": status_counts.get("parsed", 0),
            "rejected": status_counts.get("rejected", 0),
            "missing": len(missing),
            "unlisted": status_counts.get("unlisted", 0),
        },
        "seconds": round(time.monotonic() - started, 3),
    }
