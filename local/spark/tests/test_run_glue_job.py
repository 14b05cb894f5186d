"""local/spark/run_glue_job.py: the Glue job's own command line on the tuned local session, as the local run spawns it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glue_testing import Bucket, RUN_ID

SCRIPT = Path(__file__).resolve().parents[1] / "run_glue_job.py"


@pytest.fixture()
def bucket(tmp_path) -> Bucket:
    return Bucket.with_fixture_run(tmp_path)


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
