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



def build_warehouse(out: Path, *flags: str) -> Path:
    subprocess.run(
        ["npx", "tsx", str(DASHBOARD / "tests" / "build-fixture-warehouse.ts"), str(out), *flags],
        cwd=REPO,
        check=True,
        timeout=120,
    )
    return out


@pytest.fixture(scope="session")
def playlist_warehouse(tmp_path_factory) -> Path:
    """Two weekly runs of two playlists (fixture-data.ts), loaded with Snowpipe's rules; no listening data."""
    return build_warehouse(tmp_path_factory.mktemp("wh") / "playlists.duckdb")


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("wh") / "empty.duckdb", "--empty")


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
