"""Warehouses for the dashboard tests, built by the pipeline's own loader (build-fixture-warehouse.ts), and the
listening data of the listening-data contract (listening_contract.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parents[1]
REPO = DASHBOARD.parent
sys.path.insert(0, str(DASHBOARD))
sys.path.insert(0, str(Path(__file__).resolve().parent))



# The listening analyses come with the listening history (plays, saved tracks, follows). Until they are in
# snowflake-sql/, the tests on real plays have nothing to run: not collected, rather than failed or skipped.
collect_ignore = [] if (REPO / "snowflake-sql" / "analysis" / "listening_time_per_week.sql").exists() else ["test_dashboard_listening.py"]


def build_warehouses(**outs: Path) -> None:
    """full=/a.duckdb playlists=/b.duckdb empty=/c.duckdb: see build-fixture-warehouse.ts."""
    subprocess.run(
        ["npx", "tsx", str(DASHBOARD / "tests" / "build-fixture-warehouse.ts"), *(f"{kind}={out}" for kind, out in outs.items())],
        cwd=REPO,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def warehouses(tmp_path_factory) -> dict[str, Path]:
    """Built once per session: `full` (the fixture runs), `playlists` (without listening tables), `empty`."""
    folder = tmp_path_factory.mktemp("warehouses")
    outs = {kind: folder / f"{kind}.duckdb" for kind in ("full", "playlists", "empty")}
    build_warehouses(**outs)
    return outs


@pytest.fixture(scope="session")
def playlist_warehouse(warehouses) -> Path:
    """Two weekly runs of two playlists (fixture-data.ts), loaded with Snowpipe's rules; no listening data."""
    return warehouses["playlists"]


@pytest.fixture(scope="session")
def full_warehouse(warehouses) -> Path:
    """Every table of the fixture runs, listening history included where the fixture has it."""
    return warehouses["full"]


@pytest.fixture(scope="session")
def empty_warehouse(warehouses) -> Path:
    return warehouses["empty"]


@pytest.fixture()
def warehouse_copy(tmp_path, playlist_warehouse) -> Path:
    """A copy of the playlist warehouse a test may change."""
    return Path(shutil.copy(playlist_warehouse, tmp_path / "warehouse.duckdb"))


@pytest.fixture(autouse=True)
def away_from_utc(monkeypatch):
    """Instants are UTC in every layer: the dashboard's answers must not move with the machine's zone. Only for the
    tests of this folder (other suites in the same pytest process keep theirs)."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def fresh_cache():
    """st.cache_data is process-wide: every test starts without another test's answers."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()
