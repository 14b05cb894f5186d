"""How the dashboard finds and wraps the analysis files (spotify_dashboard/sql_files.py)."""

from __future__ import annotations

import duckdb
import pytest

from spotify_dashboard import sql_files


@pytest.fixture()
def sql_dir(tmp_path, monkeypatch):
    (tmp_path / "analysis").mkdir()
    monkeypatch.setenv(sql_files.SQL_DIR_ENV, str(tmp_path))
    return tmp_path


def test_wrapping_keeps_a_trailing_comment_from_swallowing_the_filter(sql_dir):
    (sql_dir / "analysis" / "weekly.sql").write_text(
        "-- Question: Which weeks?\nSELECT 'u1' AS spotify_user_id, DATE '2026-11-23' AS week_start, 3 AS plays -- last line comment\n;\n"
    )
    sql, params = sql_files.filtered_analysis("weekly", {"spotify_user_id": "u1", "week_start": "2026-11-23"})
    assert params == ["u1", "2026-11-23"]
    assert duckdb.connect().execute(sql, params).fetchall() == [("u1", __import__("datetime").date(2026, 11, 23), 3)]
    assert duckdb.connect().execute(sql, ["u2", "2026-11-23"]).fetchall() == []


def test_one_analysis_file_for_both_warehouses(sql_dir):
    (sql_dir / "analysis" / "q.sql").write_text("-- Question: q?\nSELECT 1 AS x;\n")
    assert sql_files.analysis_file("q") == sql_dir / "analysis" / "q.sql"
    assert sql_files.analysis_sql("q") == "SELECT 1 AS x"
    assert sql_files.analysis_file("missing") is None
    with pytest.raises(FileNotFoundError, match="No analysis missing"):
        sql_files.analysis_sql("missing")


def test_filter_columns_must_be_plain_names(sql_dir):
    (sql_dir / "analysis" / "q.sql").write_text("SELECT 1 AS x;\n")
    with pytest.raises(ValueError, match="not a column name"):
        sql_files.filtered_analysis("q", {"x = 1 OR 1": 1})


def test_in_snowflake_the_files_sit_beside_the_app(tmp_path, monkeypatch):
    monkeypatch.delenv(sql_files.SQL_DIR_ENV, raising=False)
    # In the repository: <repo>/snowflake-sql. On the stage (constructs/streamlit-app.ts): <app>/snowflake-sql.
    assert sql_files.sql_dir() == sql_files.APP_DIR.parent / "snowflake-sql"
    monkeypatch.setattr(sql_files, "APP_DIR", tmp_path)
    (tmp_path / "snowflake-sql" / "analysis").mkdir(parents=True)
    assert sql_files.sql_dir() == tmp_path / "snowflake-sql"


def test_the_dashboards_own_queries_are_beside_the_app(tmp_path, monkeypatch):
    assert sql_files.dashboard_sql_available()
    assert "FROM listening_history" in sql_files.dashboard_sql("listens_between")
    # A deployment without dashboard/sql: the life views are left out rather than failing.
    monkeypatch.setattr(sql_files, "APP_DIR", tmp_path)
    assert not sql_files.dashboard_sql_available()
    with pytest.raises(FileNotFoundError, match="No dashboard query listens_between"):
        sql_files.dashboard_sql("listens_between")
