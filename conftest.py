"""Fixtures shared by the Python suites (glue/tests and snowflake-sql/tests): one local SparkSession for the whole
session, the fixture run transformed once (golden), and a bucket folder of Glue output over two weeks with a re-run
and a publish that died before its commit (warehouse_bucket), built once and read by the warehouse tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "glue" / "tests"))
from glue_testing import Bucket, build_listening_bucket, build_warehouse_bucket  # noqa: E402  (also puts glue/ on sys.path)


@pytest.fixture(scope="session")
def spark():
    sys.path.insert(0, str(Path(__file__).resolve().parent / "local" / "spark"))
    from local_session import local_spark_session

    # quick_jit (C1 only), as the job itself starts for small runs: every run here is tiny, and the optimising JIT
    # cost a third of the suite's CPU time compiling code that runs for milliseconds.
    session = local_spark_session(master="local[2]", driver_memory="1g", app_name="python-tests", quick_jit=True)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def golden(spark, tmp_path_factory):
    """The fixture run, transformed once: (bucket, result)."""
    bucket = Bucket.with_fixture_run(tmp_path_factory.mktemp("golden"))
    result = bucket.transform(spark)
    return bucket, result


@pytest.fixture(scope="session")
def warehouse_bucket(spark, golden, tmp_path_factory):
    """Glue output of two weekly runs, the second transformed twice (the re-run changed its content), and an
    attempt of the first that died after writing some tables (no commit record): (root, attempts by name)."""
    return build_warehouse_bucket(spark, golden[0], tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="session")
def listening_bucket(spark, tmp_path_factory):
    """Glue output of listening runs only (glue_testing.LISTENING_RUNS: two weekly runs and an hourly poll between
    them, across the 2026/2027 year boundary): (root, transform results by run name)."""
    root = tmp_path_factory.mktemp("listening-warehouse")
    return root, build_listening_bucket(spark, root)
