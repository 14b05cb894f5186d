"""glue/transform_job.py: Glue's argument style without Glue, and the local command line the pipeline runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue_testing import GLUE_DIR, RUN_ID

sys.path.insert(0, str(GLUE_DIR))
import transform_job  # noqa: E402

SCRIPT = GLUE_DIR / "transform_job.py"


def test_parses_glue_style_arguments_without_glue():
    assert transform_job.ON_GLUE is False
    # The argv Glue hands the script: its own arguments mixed with the job's.
    argv = [
        "transform_job.py",
        "--JOB_ID", "j_0123",
        "--JOB_RUN_ID", "jr_abcdef",
        "--job-bookmark-option", "job-bookmark-disable",
        "--TempDir", "s3://bucket/tmp/",
        "--enable-metrics", "true",
        "--JOB_NAME", "spotify-pipeline-dev-transform",
        "--RAW_RUN_PREFIX", f"s3://bucket/raw/extract_date=2026-11-25/run_id={RUN_ID}/",
        "--PROCESSED_PREFIX", "s3://bucket/processed/",
        "--REJECTS_PREFIX", "s3://bucket/rejects/",
        "--RUN_ID", RUN_ID,
        "--SCHEMA_PATH=tables.json",
    ]
    assert transform_job.parse_args(argv) == {
        "JOB_NAME": "spotify-pipeline-dev-transform",
        "JOB_RUN_ID": "jr_abcdef",  # Glue's job run id: the attempt id
        "RAW_RUN_PREFIX": f"s3://bucket/raw/extract_date=2026-11-25/run_id={RUN_ID}/",
        "PROCESSED_PREFIX": "s3://bucket/processed/",
        "REJECTS_PREFIX": "s3://bucket/rejects/",
        "RUN_ID": RUN_ID,
        "SCHEMA_PATH": "tables.json",
    }


def test_glue_resolver_is_asked_for_required_and_present_optional_names():
    asked = {}

    def get_resolved_options(argv, names):  # the signature of awsglue.utils.getResolvedOptions
        asked["names"] = names
        return {name: "v" for name in names}

    transform_job.parse_args(["x", "--RUN_ID", "r", "--SCHEMA_PATH", "tables.json"], get_resolved_options)
    assert asked["names"] == ["RAW_RUN_PREFIX", "PROCESSED_PREFIX", "REJECTS_PREFIX", "RUN_ID", "JOB_NAME", "SCHEMA_PATH"]


def test_missing_arguments_are_named():
    with pytest.raises(transform_job.UsageError, match="missing argument\\(s\\) --PROCESSED_PREFIX, --REJECTS_PREFIX"):
        transform_job.parse_args(["x", "--RAW_RUN_PREFIX", "/r/", "--RUN_ID", RUN_ID])


def _run(args, cwd):
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_local_command_line_prints_one_result_line(bucket):
    completed = _run(
        [
            "--RAW_RUN_PREFIX", str(bucket.run_dir) + "/",
            "--PROCESSED_PREFIX", str(bucket.processed) + "/",
            "--REJECTS_PREFIX", str(bucket.rejects) + "/",
            "--RUN_ID", RUN_ID,
            "--ATTEMPT_ID", "attempt-from-the-command-line",
            "--SPARK_MASTER", "local[1]",
        ],
        cwd=bucket.root,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("TRANSFORM_RESULT "), completed.stdout  # Spark's noise stays off stdout
    result = json.loads(lines[0][len("TRANSFORM_RESULT "):])
    assert result["run_id"] == RUN_ID and result["input_objects"] == 4 and result["rejects"] == 1
    assert result["attempt_id"] == "attempt-from-the-command-line"
    assert result["tables"]["playlist_tracks"] == {
        "rows": 10,
        "files": 1,
        "path": f"file://{bucket.table_dir('playlist_tracks', 'attempt-from-the-command-line')}/",
    }
    assert result["startup_seconds"] > 0 and result["seconds"] > 0
    assert Path(bucket.table_dir("transform_commits", "attempt-from-the-command-line")).is_dir()


def test_local_command_line_without_manifest_fails_fast_with_the_cause(bucket):
    (bucket.run_dir / "_manifest.json").unlink()
    completed = _run(
        ["--RAW_RUN_PREFIX", str(bucket.run_dir), "--PROCESSED_PREFIX", str(bucket.processed),
         "--REJECTS_PREFIX", str(bucket.rejects), "--RUN_ID", RUN_ID],
        cwd=bucket.root,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "transform failed: no _manifest.json under" in completed.stderr
    assert "nothing was processed" in completed.stderr
    assert not bucket.processed.exists()
