"""Every Snowflake SQL file in snowflake-sql/ parses as Snowflake SQL (sqlglot), so a syntax error fails here and
not in a pipe or a deployed view. Placeholders ({{database}}, ...) are filled before parsing, as the stack does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

SQL_DIR = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((SQL_DIR.parent / "schemas" / "tables.json").read_text())
TABLES = set(SCHEMA["tables"])
DATA_TABLES = {name for name, spec in SCHEMA["tables"].items() if spec.get("kind") != "commit"}
# Rendered per table by warehouse/snowflake-sql.ts from views/*.template.sql (checked, rendered, in test_fakesnow.py).
GENERATED_VIEWS = {"attempt_loads", "committed_attempts"} | {f"committed_{t}" for t in DATA_TABLES}
VIEWS = {p.name[: -len(".sql")] for p in (SQL_DIR / "views").glob("*.sql") if not p.name.endswith(".template.sql")} | GENERATED_VIEWS
PLACEHOLDERS = {
    "database": "SPOTIFY",
    "schema": "RAW",
    "stage": "PROCESSED_STAGE",
    "file_format": "PARQUET_FORMAT",
    "warehouse": "SPOTIFY_WH",
    "loader_role": "SPOTIFY_LOADER",
    "analyst_role": "SPOTIFY_ANALYST",
}


def render(path: Path, **extra: str) -> str:
    values = {**PLACEHOLDERS, **extra}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        assert key in values, f"{path.name}: unknown placeholder {{{{{key}}}}}"
        return values[key]

    return re.sub(r"\{\{\s*([a-z_]+)\s*\}\}", fill, path.read_text())


def parse(path: Path, **extra: str) -> list[exp.Expression]:
    statements = [s for s in sqlglot.parse(render(path, **extra), read="snowflake", error_level=sqlglot.ErrorLevel.RAISE) if s]
    assert statements, f"{path} holds no statement"
    return statements


def snowflake_files(folder: str) -> list[Path]:
    return sorted(p for p in (SQL_DIR / folder).glob("*.sql") if not p.name.endswith(".template.sql"))


def pipe_file(table: str) -> Path:
    """A table's own pipes/<table>.copy.sql, else the template every table shares (as warehouse/snowflake-sql.ts)."""
    own = SQL_DIR / "pipes" / f"{table}.copy.sql"
    return own if own.exists() else SQL_DIR / "pipes" / "table.copy.template.sql"


def referenced_tables(statement: exp.Expression) -> set[str]:
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    return {t.name.lower() for t in statement.find_all(exp.Table) if t.name.lower() not in ctes}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_pipe_copy_statement(table: str) -> None:
    path = pipe_file(table)
    (statement,) = parse(path, table=table)
    assert isinstance(statement, exp.Copy), f"{path.name} must be one COPY INTO statement"
    target = statement.this
    assert (target.catalog, target.db, target.name) == ("SPOTIFY", "RAW", table), "COPY INTO must be fully qualified"
    text = render(path, table=table)
    assert f"FROM @SPOTIFY.RAW.PROCESSED_STAGE/{table}/" in text
    assert "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE" in text
    # The Parquet timestamps are UTC wall-clock times: read with their logical type, never shifted by a time zone.
    assert "FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE)" in text
    assert "source_file = METADATA$FILENAME" in text and "loaded_at = METADATA$START_SCAN_TIME" in text


def test_pipe_files_name_tables_of_tables_json() -> None:
    own = {p.name[: -len(".copy.sql")] for p in (SQL_DIR / "pipes").glob("*.copy.sql")}
    assert own <= TABLES, f"pipes for tables schemas/tables.json does not define: {sorted(own - TABLES)}"


@pytest.mark.parametrize("path", snowflake_files("views"), ids=lambda p: p.name)
def test_view(path: Path) -> None:
    (statement,) = parse(path)
    assert isinstance(statement, exp.Create) and statement.kind == "VIEW", f"{path.name} must be one CREATE VIEW"
    assert statement.this.name == path.name[: -len(".sql")], "a view is named after its file"
    assert statement.this.name not in GENERATED_VIEWS, f"{path.name}: that name is generated for a table of tables.json"
    unknown = referenced_tables(statement.expression) - TABLES - VIEWS
    assert not unknown, f"{path.name} reads {sorted(unknown)}, which are neither tables nor views"


@pytest.mark.parametrize("path", snowflake_files("views") + snowflake_files("analysis"), ids=lambda p: p.name)
def test_views_and_analyses_read_loaded_tables_only_through_their_committed_view(path: Path) -> None:
    """A loaded table holds every attempt of every run (and a file loaded twice twice); committed_<table> holds the
    visible attempt of each run, each key once. Reading the table itself would count a re-run or a half-published
    attempt: read committed_<table> (generated for every table of tables.json)."""
    (statement,) = parse(path)
    direct = referenced_tables(statement) & TABLES
    assert not direct, f"{path.name} reads {sorted(direct)} directly; read {', '.join(f'committed_{t}' for t in sorted(direct))}"


@pytest.mark.parametrize("path", snowflake_files("analysis"), ids=lambda p: p.name)
def test_analysis(path: Path) -> None:
    first_line = path.read_text().splitlines()[0]
    assert re.match(r"^-- Question: .+\?$", first_line), f"{path.name} must start with '-- Question: ...?'"
    (statement,) = parse(path)
    assert isinstance(statement, exp.Select), f"{path.name} must be one SELECT"
    unknown = referenced_tables(statement) - TABLES - VIEWS
    assert not unknown, f"{path.name} reads {sorted(unknown)}, which are neither tables nor views"


def test_at_least_six_analyses() -> None:
    assert len(snowflake_files("analysis")) >= 6


def test_one_file_per_view_and_analysis_for_both_warehouses() -> None:
    """The local warehouse and fakesnow run the Snowflake file itself (local/warehouse/snowflake-on-duckdb.ts gives
    DuckDB Snowflake's missing functions): a per-dialect twin would be a second copy that can drift."""
    twins = sorted(p.name for p in SQL_DIR.glob("*/*.sql") if p.name.endswith((".duckdb.sql", ".snowflake.sql")))
    assert twins == [], f"one file per view and analysis, no per-dialect twins: {twins}"


# sqlglot parses CREATE ROLE and these GRANT forms as opaque commands, so each is held to Snowflake's documented
# grammar here instead (docs.snowflake.com: CREATE ROLE, GRANT <privileges>, GRANT ROLE).
IDENT = r"[A-Z_][A-Z0-9_$]*"
ROLE_GRAMMAR = [
    rf"CREATE ROLE IF NOT EXISTS {IDENT}( COMMENT = '[^']*')?",
    rf"GRANT ROLE {IDENT} TO ROLE {IDENT}",
    rf"GRANT (USAGE|MONITOR|OPERATE)( ?, ?(USAGE|MONITOR|OPERATE))* ON (DATABASE|WAREHOUSE) {IDENT} TO ROLE {IDENT}",
    rf"GRANT USAGE ON SCHEMA {IDENT}\.{IDENT} TO ROLE {IDENT}",
    rf"GRANT USAGE ON (STAGE|FILE FORMAT) {IDENT}\.{IDENT}\.{IDENT} TO ROLE {IDENT}",
    rf"GRANT (SELECT|INSERT|OPERATE|MONITOR)( ?, ?(SELECT|INSERT|OPERATE|MONITOR))* ON (ALL|FUTURE) (TABLES|VIEWS|PIPES) IN SCHEMA {IDENT}\.{IDENT} TO ROLE {IDENT}",
]


def test_roles_and_grants() -> None:
    path = SQL_DIR / "roles.sql"
    statements = parse(path)
    texts = [s.strip() for s in re.split(r";\s*\n", re.sub(r"^--.*$", "", render(path), flags=re.M)) if s.strip()]
    assert len(texts) == len(statements)
    for statement, text in zip(statements, texts):
        if isinstance(statement, exp.Command):
            assert any(re.fullmatch(rule, text.rstrip(";")) for rule in ROLE_GRAMMAR), f"not Snowflake grant syntax: {text}"
        else:
            assert isinstance(statement, exp.Grant), f"unexpected statement in roles.sql: {text}"
    analyst = [t for t in texts if t.rstrip(";").endswith("TO ROLE SPOTIFY_ANALYST")]
    assert analyst and not any(re.search(r"\b(INSERT|UPDATE|DELETE|OPERATE|OWNERSHIP)\b", t) for t in analyst)
