"""One local SparkSession for the whole suite, and the fixture run transformed once for the tests that only read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from glue_testing import Bucket  # noqa: E402  (also sets JAVA_HOME/TZ and puts glue/ on sys.path)


@pytest.fixture(scope="session")
def spark():
    from spotify_transform.job import local_spark_session

    session = local_spark_session(master="local[2]", driver_memory="1g", app_name="glue-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def golden(spark, tmp_path_factory):
    """The fixture run, transformed once: (bucket, result)."""
    bucket = Bucket.with_fixture_run(tmp_path_factory.mktemp("golden"))
    result = bucket.transform(spark)
    return bucket, result


@pytest.fixture()
def bucket(tmp_path) -> Bucket:
    return Bucket.with_fixture_run(tmp_path)
