"""Shared by the glue tests: the fixture run's paths and a temporary bucket folder to transform it in.

A uniquely named module rather than conftest, so that imports never collide with other test folders.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

GLUE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(GLUE_DIR))

# Spark 3.5 runs on Java 17. The process time zone is left as it is: `make test` runs the suites under a non-UTC
# TZ, and every timestamp the job writes is a UTC wall-clock TIMESTAMP_NTZ that no time zone setting shifts.
os.environ.setdefault("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RUN_ID = "20261125T060000Z-a1b2c3"
EXTRACT_DATE = "2026-11-25"
FIXTURE_RUN = FIXTURES / "raw" / f"extract_date={EXTRACT_DATE}" / f"run_id={RUN_ID}"


class Bucket:
    """A temporary folder laid out like the bucket, holding a copy of a raw run."""

    def __init__(self, root: Path, run_id: str = RUN_ID, extract_date: str = EXTRACT_DATE):
        self.root = root
        self.run_id = run_id
        self.extract_date = extract_date
        self.run_dir = root / "raw" / f"extract_date={extract_date}" / f"run_id={run_id}"
        self._rows: dict[str, list[dict]] = {}
        # The attempt id of the last successful transform (table_dir and rows read that attempt).
        self.attempt_id: str | None = None

    @classmethod
    def with_fixture_run(cls, root: Path) -> "Bucket":
        bucket = cls(root)
        shutil.copytree(FIXTURE_RUN, bucket.run_dir)
        return bucket

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects"

    def run_table_dir(self, table: str) -> Path:
        """processed/<table>/extract_date=D/run_id=R/: the folder that holds every attempt of the run."""
        return self.processed / table / f"extract_date={self.extract_date}" / f"run_id={self.run_id}"

    def table_dir(self, table: str, attempt_id: str | None = None) -> Path:
        """The attempt folder of a table (default: the last successful attempt)."""
        return self.run_table_dir(table) / f"attempt_id={attempt_id or self.attempt_id}"

    def rejects_dir(self, attempt_id: str | None = None) -> Path:
        return self.rejects / f"extract_date={self.extract_date}" / f"run_id={self.run_id}" / f"attempt_id={attempt_id or self.attempt_id}"

    def transform(self, spark, **overrides):
        from spotify_transform.job import run_transform

        kwargs = dict(
            raw_run_prefix=str(self.run_dir) + "/",
            processed_prefix=str(self.processed) + "/",
            rejects_prefix=str(self.rejects) + "/",
            run_id=self.run_id,
        )
        kwargs.update(overrides)
        self._rows.clear()
        result = run_transform(spark, **kwargs)
        self.attempt_id = result["attempt_id"]
        return result

    def rows(self, spark, table: str) -> list[dict]:
        """The published rows of a table for this run (read once per transform)."""
        if table not in self._rows:
            frame = spark.read.parquet(str(self.table_dir(table)))
            self._rows[table] = [row.asDict() for row in frame.collect()]
        return self._rows[table]

    def rejects_lines(self) -> list[dict]:
        import json

        lines = []
        for path in sorted(self.rejects_dir().glob("*.json")):
            lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return lines
