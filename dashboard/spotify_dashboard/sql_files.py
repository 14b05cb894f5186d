"""The SQL the dashboard runs: the analysis files of snowflake-sql/analysis, never copies of them.

A listening analysis returns every week and every listener; the dashboard narrows it by wrapping the file:
`SELECT * FROM (<file>) AS a WHERE a.spotify_user_id = ? AND a.week_start = CAST(? AS DATE)`. The files are
found beside the app in Snowflake (the stack uploads snowflake-sql/analysis with it) and at the repository root
locally; $DASHBOARD_SQL_DIR points elsewhere (tests).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

from .warehouse import APP_DIR

SQL_DIR_ENV = "DASHBOARD_SQL_DIR"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def sql_dir() -> Path:
    override = os.environ.get(SQL_DIR_ENV)
    if override:
        return Path(override)
    beside_app = APP_DIR / "snowflake-sql"  # the layout on the Snowflake stage
    return beside_app if beside_app.is_dir() else APP_DIR.parent / "snowflake-sql"


def analysis_file(name: str) -> Path | None:
    """snowflake-sql/analysis/<name>.sql: one file, which Snowflake and the local DuckDB file both run as written."""
    path = sql_dir() / "analysis" / f"{name}.sql"
    return path if path.is_file() else None


def statement_body(sql: str) -> str:
    """Without `--` comment lines and the trailing semicolon: the form a subquery takes."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return re.sub(r";\s*$", "", "\n".join(lines).strip())


def analysis_sql(name: str) -> str:
    path = analysis_file(name)
    if path is None:
        raise FileNotFoundError(f"No analysis {name}: expected {sql_dir() / 'analysis' / (name + '.sql')}")
    return statement_body(path.read_text(encoding="utf-8"))


def filtered_analysis(name: str, where: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The analysis wrapped in a filter on its output columns; dates (week_start, chart_week) compare as DATE.

    The body goes on lines of its own so that a comment at the end of its last line cannot swallow the `)`."""
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in where.items():
        if not _IDENTIFIER.match(column):
            raise ValueError(f"not a column name: {column!r}")
        if column.endswith("_week") or column == "week_start":
            conditions.append(f"a.{column} = CAST(? AS DATE)")
            params.append(str(value))
        else:
            conditions.append(f"a.{column} = ?")
            params.append(value)
    sql = f"SELECT *\nFROM (\n{analysis_sql(name)}\n) AS a"
    if conditions:
        sql += "\nWHERE " + "\n    AND ".join(conditions)
    return sql, params


def dashboard_sql_available() -> bool:
    """Whether the dashboard's own SQL files are beside the app (a deployment that lacks them shows no life views)."""
    return (APP_DIR / "sql" / "listens_between.sql").is_file()


def dashboard_sql(name: str) -> str:
    """dashboard/sql/<name>.sql: the questions the dashboard asks of the `listening_history` view (a listener's
    listens in a period, their first listens, coverage), with `?` binds; the same file on DuckDB and Snowflake."""
    path = APP_DIR / "sql" / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"No dashboard query {name}: expected {path}")
    return statement_body(path.read_text(encoding="utf-8"))
