"""AWS Glue entry point of the Spotify transform; also runs locally on plain Spark with the same arguments.

On Glue (5.1: Spark 3.5.6, Python 3.11):
    --JOB_NAME x --RAW_RUN_PREFIX s3://bucket/raw/extract_date=D/run_id=R/ --PROCESSED_PREFIX s3://bucket/processed/
    --REJECTS_PREFIX s3://bucket/rejects/ --RUN_ID R  [--SCHEMA_PATH tables.json] [--RAW_DOCUMENTS_PATH raw-documents.json]
  (Glue adds --JOB_RUN_ID itself: it becomes the attempt id.)
  A batch (the daily plays batch, handlers/start-transform/plays-batch.ts): --RUN_ID R1,R2,... and --RAW_RUN_PREFIX
  P1,P2,... in the same order; each run is transformed in turn as its own attempt, and a run that cannot be
  transformed fails the job run after the others are done.
Locally:
    .venv/bin/python glue/transform_job.py --RAW_RUN_PREFIX <run folder> --PROCESSED_PREFIX <root>/processed/
        --REJECTS_PREFIX <root>/rejects/ --RUN_ID R [--ATTEMPT_ID A] [--SPARK_MASTER local[2]] [--SPARK_DRIVER_MEMORY 2g]
  The local run starts it through local/spark/run_glue_job.py (same arguments), which hands main() a SparkSession
  tuned to start fast; run directly, the script starts a plain local session.

Prints one final stdout line `TRANSFORM_RESULT {json}` on success. On failure it exits non-zero (locally 2 for a
run that cannot be transformed, 1 for an unexpected error) with the cause on stderr; no commit record is written,
so nothing of the attempt becomes visible.

Only this file knows about Glue: getResolvedOptions, GlueContext and Job.init/commit. The job does not use Glue
job bookmarks to choose its input (they only track DynamicFrame reads with a transformation_ctx): the run to
process is named by --RAW_RUN_PREFIX/--RUN_ID; each start is an attempt of its own (Glue's --JOB_RUN_ID), and
the warehouse views read only the latest committed attempt of a run id, so a re-run replaces what the earlier
attempt said and processing counts once per run id whoever starts it. Job.init/commit are still called so that the Glue job
behaves normally whatever --job-bookmark-option the job is deployed with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Callable, Sequence

# Locally the package sits next to this script; on Glue it comes from --extra-py-files (a zip on sys.path).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:  # Present only inside AWS Glue.
    from awsglue.context import GlueContext  # type: ignore[import-not-found]
    from awsglue.job import Job  # type: ignore[import-not-found]
    from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]

    ON_GLUE = True
except ImportError:
    ON_GLUE = False

REQUIRED_ARGS = ("RAW_RUN_PREFIX", "PROCESSED_PREFIX", "REJECTS_PREFIX", "RUN_ID")
OPTIONAL_ARGS = ("JOB_NAME", "JOB_RUN_ID", "ATTEMPT_ID", "SCHEMA_PATH", "RAW_DOCUMENTS_PATH", "SPARK_MASTER", "SPARK_DRIVER_MEMORY", "ROWS_PER_FILE")
RESULT_PREFIX = "TRANSFORM_RESULT "


class UsageError(Exception):
    pass


def parse_args(
    argv: Sequence[str], get_resolved_options: Callable[[Sequence[str], list[str]], dict] | None = None
) -> dict[str, str]:
    """Glue-style `--NAME value` arguments -> {NAME: value}.

    With Glue's getResolvedOptions when given (it fails on absent names, so optional ones are asked for only when
    present); otherwise argparse with the same names, ignoring the other arguments Glue adds itself (--JOB_ID,
    --job-bookmark-option, --TempDir, ...). --JOB_RUN_ID (Glue's) is kept: it is the attempt id.
    """
    if get_resolved_options is not None:
        present = [name for name in OPTIONAL_ARGS if f"--{name}" in argv or name == "JOB_NAME"]
        return dict(get_resolved_options(list(argv), list(REQUIRED_ARGS) + present))
    parser = argparse.ArgumentParser(prog="transform_job.py", add_help=True, allow_abbrev=False)
    for name in REQUIRED_ARGS + OPTIONAL_ARGS:
        parser.add_argument(f"--{name}", dest=name, default=None)
    known, _unknown = parser.parse_known_args(list(argv[1:]))
    values = {k: v for k, v in vars(known).items() if v is not None}
    missing = [f"--{name}" for name in REQUIRED_ARGS if not values.get(name)]
    if missing:
        raise UsageError(
            f"missing argument(s) {', '.join(missing)}; usage: transform_job.py --RAW_RUN_PREFIX <run prefix> "
            "--PROCESSED_PREFIX <processed/> --REJECTS_PREFIX <rejects/> --RUN_ID <run id>"
        )
    return values


def runs_of(args: dict[str, str]) -> list[tuple[str, str]]:
    """(run id, raw run prefix) pairs: one run, or a batch given as comma-separated lists in the same order."""
    run_ids = [r.strip() for r in args["RUN_ID"].split(",")]
    prefixes = [p.strip() for p in args["RAW_RUN_PREFIX"].split(",")]
    if len(run_ids) != len(prefixes) or not all(run_ids) or not all(prefixes):
        raise UsageError(
            f"--RUN_ID names {len(run_ids)} run(s) and --RAW_RUN_PREFIX {len(prefixes)} prefix(es): a batch gives both as "
            "comma-separated lists of the same length, in the same order"
        )
    return list(zip(run_ids, prefixes))


def _local_precheck(args: dict[str, str]) -> int | None:
    """Fails fast, before starting a JVM, when a local run folder has no manifest; returns the runs' bytes."""
    from spotify_transform.raw_documents import load_raw_documents
    from spotify_transform.schemas import SchemaError

    try:
        manifest_file = load_raw_documents(args.get("RAW_DOCUMENTS_PATH")).manifest.file
    except SchemaError as error:
        raise UsageError(str(error)) from error
    total = 0
    for _, prefix in runs_of(args):
        if "://" in prefix and not prefix.startswith("file://"):
            return None
        folder = prefix[len("file://"):] if prefix.startswith("file://") else prefix
        if not os.path.isfile(os.path.join(folder, manifest_file)):
            raise UsageError(
                f"no {manifest_file} under {prefix}: the extract run is incomplete (or the prefix is wrong); "
                "nothing was processed. Re-run the extract for this run, or pass the folder of a complete run"
            )
        total += sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(folder) for name in names)
    return total


# (the job's arguments, the local raw bytes or None) -> SparkSession: how a local launcher hands the job its session.
SessionFactory = Callable[[dict[str, str], int | None], Any]


def _plain_local_session(args: dict[str, str], _raw_bytes: int | None):
    """Without Glue and without a session from the caller: Spark's defaults on --SPARK_MASTER. The local run passes a
    session tuned to start fast instead (local/spark/run_glue_job.py); the output is the same either way."""
    from pyspark.sql import SparkSession

    # Python workers import spotify_transform, which sits next to this script: the JVM passes PYTHONPATH on to them.
    here = os.path.dirname(os.path.abspath(__file__))
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]))
    return (
        SparkSession.builder.master(args.get("SPARK_MASTER") or "local[2]")
        .appName("spotify-transform")
        .config("spark.driver.memory", args.get("SPARK_DRIVER_MEMORY") or "2g")
        .getOrCreate()
    )


def main(argv: Sequence[str], local_session: SessionFactory | None = None) -> int:
    """Runs the job; returns the exit code. Off Glue, `local_session(args, raw_bytes)` gives the SparkSession (raw_bytes:
    the size of the runs' local raw files, None for s3:// input) and its caller owns it; without it the job starts
    a plain local session and stops it at the end."""
    from spotify_transform.job import DEFAULT_ROWS_PER_FILE, TransformError, run_transform

    begun = time.monotonic()
    raw_bytes = None
    try:
        args = parse_args(argv, getResolvedOptions if ON_GLUE else None)
        runs = runs_of(args)
        if not ON_GLUE:
            raw_bytes = _local_precheck(args)
        rows_per_file = int(args.get("ROWS_PER_FILE") or DEFAULT_ROWS_PER_FILE)
    except (UsageError, ValueError) as error:
        print(f"transform failed: {error}", file=sys.stderr)
        return 2

    job = None
    owns_session = False
    if ON_GLUE:
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        job = Job(glue_context)
        job.init(args.get("JOB_NAME", "spotify-transform"), args)
    else:
        owns_session = local_session is None
        spark = (local_session or _plain_local_session)(args, raw_bytes)
    startup_seconds = time.monotonic() - begun

    results, failures = [], []
    for run_id, raw_run_prefix in runs:
        try:
            results.append(
                run_transform(
                    spark,
                    raw_run_prefix=raw_run_prefix,
                    processed_prefix=args["PROCESSED_PREFIX"],
                    rejects_prefix=args["REJECTS_PREFIX"],
                    run_id=run_id,
                    # The attempt id: explicit, else Glue's job run id, else run_transform generates a local one.
                    attempt_id=args.get("ATTEMPT_ID") or args.get("JOB_RUN_ID"),
                    schema_path=args.get("SCHEMA_PATH"),
                    raw_documents_path=args.get("RAW_DOCUMENTS_PATH"),
                    rows_per_file=rows_per_file,
                )
            )
        except TransformError as error:
            # In a batch the other runs still get their transform; the job run fails at the end, naming this one.
            failures.append(f"run {run_id}: {error}")
            print(f"transform failed: run {run_id}: {error}", file=sys.stderr)
    # The runs that were transformed say so even when another run of the batch failed: their commits stand.
    for result in results:
        result["startup_seconds"] = round(startup_seconds, 3)
        print(RESULT_PREFIX + json.dumps(result, sort_keys=True), flush=True)
    if failures:
        if ON_GLUE:
            raise TransformError("; ".join(failures))  # Glue shows the message as the job run's error
        if owns_session:
            spark.stop()
        return 2

    if job is not None:
        job.commit()
    if owns_session:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
