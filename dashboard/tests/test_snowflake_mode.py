"""The dashboard as it runs in Streamlit in Snowflake: the adapter takes the Snowpark session the runtime hands the
app, runs the Snowflake-dialect files with `?` binds, and copes with Snowflake's answers (UPPER-CASE column names,
DATE values as datetime.date, numbers as Decimal).

Snowpark's own local testing mode does not run `session.sql()`, so the session here is a stand-in with Snowpark's
call shape (`session.sql(query, params=[...]).to_pandas()`) over the fixture warehouse, answering in Snowflake's
shapes. The SQL itself is checked as Snowflake SQL by snowflake-sql/tests; the stack test pins the deployment."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb
import pandas as pd
import pytest

import spotify_dashboard.warehouse as warehouse_module
from app_testing import chart_data, run_app
from spotify_dashboard.questions import DashboardData
from spotify_dashboard.warehouse import SnowflakeWarehouse, open_warehouse


class SnowparkLikeSession:
    def __init__(self, path) -> None:
        self.path = str(path)
        self.statements: list[tuple[str, list | None]] = []

    def sql(self, query: str, params: list | None = None):
        self.statements.append((query, params))
        session = self

        class DataFrame:
            def to_pandas(self) -> pd.DataFrame:
                connection = duckdb.connect(session.path, read_only=True)
                try:
                    frame = connection.execute(query, params or []).df()
                finally:
                    connection.close()
                frame.columns = [c.upper() for c in frame.columns]
                for column in frame.columns:
                    if str(frame[column].dtype).startswith("datetime64") and column.endswith(("WEEK", "WEEK_START")):
                        frame[column] = frame[column].dt.date
                    elif str(frame[column].dtype) in ("int64", "Int64", "float64", "int32"):
                        frame[column] = [None if pd.isna(v) else decimal.Decimal(str(v)) for v in frame[column]]
                return frame

        return DataFrame()


@pytest.fixture()
def snowflake(monkeypatch, playlist_warehouse):
    session = SnowparkLikeSession(playlist_warehouse)
    monkeypatch.setattr(warehouse_module, "active_snowflake_session", lambda: session)
    # Nothing points at a local file: in Snowflake the session is the only source.
    monkeypatch.setenv("PIPELINE_WAREHOUSE_FILE", "/nonexistent/warehouse.duckdb")
    return session


def test_the_snowpark_session_wins_over_the_local_file(snowflake):
    chosen = open_warehouse()
    assert isinstance(chosen, SnowflakeWarehouse)


def test_filters_are_bound_not_spliced(snowflake):
    data = DashboardData(SnowflakeWarehouse(snowflake))
    movers = data.movers(dt.date(2026, 11, 23), "u_sam")
    query, params = snowflake.statements[-1]
    assert params == ["2026-11-23", "u_sam"] and "2026-11-23" not in query and "u_sam" not in query
    assert "a.chart_week = CAST(? AS DATE)" in query and "a.spotify_user_id = ?" in query
    # Snowflake's upper-case names and Decimals come out as the app's lower-case, numeric columns.
    assert list(movers.columns[:4]) == ["chart_week", "playlist_id", "playlist", "movement"]
    got = {(r.playlist_id, r.track_id, r.movement, None if pd.isna(r.current_rank) else float(r.current_rank)) for r in movers.itertuples()}
    assert got == {
        ("pl_night", "t6", "entry", 2.0),
        ("pl_morning", "t5", "entry", 3.0),
        ("pl_morning", "t3", "drop_out", None),
        ("pl_morning", "t1", "down", 2.0),
        ("pl_morning", "t2", "up", 1.0),
    }
    assert set(movers["chart_week"]) == {dt.date(2026, 11, 23)}
    # Mira's own playlist only (Sam collaborates on it, so it is in his rows above too).
    assert set(data.movers(dt.date(2026, 11, 23), "u_mira")["playlist_id"]) == {"pl_night"}


def test_the_whole_page_through_the_snowflake_adapter(monkeypatch, snowflake, playlist_warehouse):
    app = run_app(monkeypatch, "/nonexistent/warehouse.duckdb")
    assert "Snowflake" in app.caption[0].value
    years = chart_data(app, "release_year_mix")
    assert list(zip(years["release_year"], years["tracks"])) == [("2019", 1), ("2024", 3), ("unknown", 1)]
    moves = chart_data(app, "biggest_moves")
    assert list(moves["rank_change"]) == [-1, 1]
    assert all(params is None or all(isinstance(p, (str, int, float)) for p in params) for _, params in snowflake.statements)
