"""The one adapter that knows where the data lives: the local DuckDB warehouse or Snowflake.

In Streamlit in Snowflake the app runs inside a Snowpark session (`get_active_session()`), with the app owner's
role, database and schema; everywhere else it reads the local DuckDB file that `make run` writes. The rest of the
app only calls `query(sql, params)` (a pandas DataFrame with lower-case column names, `?` placeholders) and
`relations()`; it never imports duckdb or Snowpark itself.
"""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol, Sequence

import pandas as pd

APP_DIR = Path(__file__).resolve().parents[1]
# In the repository the app sits in dashboard/ and the local run writes <repo>/.local/warehouse.duckdb.
DEFAULT_WAREHOUSE_FILE = APP_DIR.parent / ".local" / "warehouse.duckdb"
WAREHOUSE_FILE_ENV = "PIPELINE_WAREHOUSE_FILE"


class WarehouseUnavailable(Exception):
    """The warehouse cannot be read right now; `hint` says what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class Warehouse(Protocol):
    def describe(self) -> str: ...

    def version(self) -> str:
        """Changes whenever the data may have changed (a load): part of every cached answer's key, so that one page
        never mixes answers from before and after a load."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame: ...

    def relations(self) -> set[str]:
        """Lower-case names of the tables and views the app's schema holds."""
        ...


def _lower_columns(frame: pd.DataFrame) -> pd.DataFrame:
    # Snowflake answers with upper-case names (unquoted identifiers); DuckDB keeps the case of the SQL.
    frame.columns = [str(c).lower() for c in frame.columns]
    return frame


class DuckDBWarehouse:
    """The local warehouse file, opened read-only per query and closed straight after.

    DuckDB lets one process write a file, or several read it, never both: holding it open would make the next
    `make run` fail to load, so every query opens, reads and closes (a few milliseconds)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()

    def describe(self) -> str:
        # The page (and the README's screenshot) names the file relative to where the app runs, never a machine's
        # absolute path: .local/warehouse.duckdb in the repository, the file name elsewhere.
        relative = os.path.relpath(self.path, Path.cwd())
        return f"local DuckDB warehouse {self.path.name if relative.startswith('..') else relative}"

    def version(self) -> str:
        # A load rewrites the file (or its write-ahead log): their sizes and modification times change with it.
        parts = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                stat = file.stat()
            except FileNotFoundError:
                parts.append("-")
                continue
            parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        return "/".join(parts)

    def _connect(self):  # noqa: ANN202 (duckdb is imported lazily: Snowflake has no use for it)
        import duckdb

        if not self.path.exists():
            raise WarehouseUnavailable(
                f"There is no local warehouse at {self.path} yet.",
                "Run `make run` (the whole pipeline on the sample data, about a minute), then press Refresh.",
            )
        try:
            connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise WarehouseUnavailable(
                    f"The local warehouse {self.path} is being written by another process right now "
                    "(a `make run` or `pipeline load` in progress).",
                    "Wait until it has finished, then press Refresh.",
                ) from error
            raise WarehouseUnavailable(
                f"The local warehouse {self.path} cannot be opened: {error}",
                "Run `make clean-local && make run` to build it again.",
            ) from error
        # Instants are UTC in every session (the warehouse stores UTC; hours of the day are UTC hours).
        connection.execute("SET TimeZone = 'UTC'")
        return connection

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with closing(self._connect()) as connection:
            return _lower_columns(connection.execute(sql, list(params)).df())

    def relations(self) -> set[str]:
        frame = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return {str(name).lower() for name in frame["table_name"]}


class SnowflakeWarehouse:
    """The app's Snowpark session in Streamlit in Snowflake: the app owner's role (the analyst role), warehouse,
    database and schema. Table and view names in the SQL resolve in that schema, as in the views themselves."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def describe(self) -> str:
        return "Snowflake (this app's session)"

    def version(self) -> str:
        # Snowpipe loads at any moment; the five-minute cache and Refresh bound how long an answer may be stale.
        return ""

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        frame = self.session.sql(sql, params=list(params) if params else None).to_pandas()
        return _lower_columns(frame)

    def relations(self) -> set[str]:
        frame = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA()")
        return {str(name).lower() for name in frame["table_name"]}


def active_snowflake_session() -> Any | None:
    """The Snowpark session Streamlit in Snowflake gives the app, or None anywhere else."""
    try:
        from snowflake.snowpark.context import get_active_session
    except ImportError:  # Snowpark is not installed locally: this is not Snowflake.
        return None
    try:
        return get_active_session()
    except Exception:  # SnowparkSessionException: installed, but no session (a local run with Snowpark around).
        return None


def open_warehouse(environ: os._Environ[str] | dict[str, str] = os.environ) -> Warehouse:
    """Snowflake when the app runs in Streamlit in Snowflake, else the local DuckDB file
    ($PIPELINE_WAREHOUSE_FILE, set by `pipeline dashboard` from the configuration, or .local/warehouse.duckdb)."""
    session = active_snowflake_session()
    if session is not None:
        return SnowflakeWarehouse(session)
    return DuckDBWarehouse(environ.get(WAREHOUSE_FILE_ENV) or DEFAULT_WAREHOUSE_FILE)
