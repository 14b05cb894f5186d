"""glue/tests' own fixtures; the session-wide ones (spark, golden, warehouse_bucket) are in the repository's
conftest.py, shared with snowflake-sql/tests."""

from __future__ import annotations

import pytest

from glue_testing import Bucket


@pytest.fixture()
def bucket(tmp_path) -> Bucket:
    return Bucket.with_fixture_run(tmp_path)
