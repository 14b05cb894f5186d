"""The Snowflake side, run as Snowflake SQL: a second opinion on the local DuckDB warehouse.

fakesnow (PyPI) runs Snowflake SQL with Snowflake's semantics (it transpiles to DuckDB and emulates what differs,
e.g. NULLs sort first on DESC) and executes COPY INTO from a file:// stage with MATCH_BY_COLUMN_NAME. On the Glue
job's real output (warehouse_bucket: two weekly runs, a re-run of one with changed content, a publish that died
before its commit), this test does what the warehouse stack deploys:

- creates every table from schemas/tables.json with the stack's DDL (warehouse/snowflake-sql.ts),
- loads each file with its pipe's COPY statement, as rendered for the stack,
- creates every view, fully qualified as constructs/snowflake-view.ts qualifies it,
- runs every analysis,

and requires every view and every analysis to answer exactly what the local DuckDB warehouse answers on the same
files (the helper __tests__/warehouse/duckdb-answers.ts loads them there with the local loader).

What fakesnow cannot run, and how it is covered instead:
- PATTERN: fakesnow neither filters by it nor lists a folder recursively, so each file is named with FILES = (...);
  the pattern itself is checked below against every key the Glue job wrote and against the keys it must refuse.
- INCLUDE_METADATA (source_file, loaded_at): not implemented by fakesnow, so the two metadata columns are created
  nullable here and filled after each file's COPY the way Snowpipe fills them (the file's path after the stage's URL,
  `<table>/...`, and the load time); the clause itself is parsed by sqlglot in test_snowflake_sql_parses.py and its
  columns exist in the stack's DDL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
METADATA_COLUMNS = ("source_file", "loaded_at")


def duckdb_answers(root: Path, warehouse: Path) -> dict:
    """The deployment's SQL and the local DuckDB warehouse's answers on a bucket folder (one tsx run)."""
    npx = shutil.which("npx")
    assert npx, "npx (Node) is needed: the DuckDB side of this comparison is the TypeScript local warehouse"
    completed = subprocess.run(
        [npx, "tsx", str(REPO / "__tests__" / "warehouse" / "duckdb-answers.ts"), "--bucket", str(root), "--warehouse", str(warehouse)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ},
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def answers(warehouse_bucket, tmp_path_factory):
    """The deployment's SQL and the local DuckDB warehouse's answers on the warehouse bucket."""
    root, _ = warehouse_bucket
    return duckdb_answers(root, tmp_path_factory.mktemp("duckdb") / "warehouse.duckdb")


def _plain(value):
    """A fakesnow value as the local warehouse reports it (dates ISO, timestamps ISO UTC with ms, numbers)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _comparable(columns, rows, *, ordered):
    keep = [i for i, c in enumerate(columns) if c.lower() not in METADATA_COLUMNS]
    out = [[_plain(row[i]) for i in keep] for row in rows]
    out = [[round(v, 6) if isinstance(v, float) else v for v in row] for row in out]
    return out if ordered else sorted(out, key=lambda r: json.dumps(r, default=str))


@pytest.fixture(scope="module")
def snowflake(answers, warehouse_bucket):
    """A fakesnow session holding what the warehouse stack deploys, loaded through the pipes' COPY statements."""
    yield from fakesnow_warehouse(answers, warehouse_bucket[0])


def fakesnow_warehouse(answers: dict, root: Path):
    """(cursor, loaded keys per table) of a fakesnow session holding what the stack deploys, loaded from `root`."""
    import fakesnow
    import snowflake.connector

    names = answers["names"]
    db, schema = names["database"], names["schema"]
    with fakesnow.patch():
        conn = snowflake.connector.connect(database=db, schema=schema)
        cur = conn.cursor()
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {db}.{schema}")
        cur.execute(f"USE SCHEMA {db}.{schema}")
        for table in answers["snowflake"]["tables"]:
            ddl = table["sql"]
            for column in METADATA_COLUMNS:  # filled after each COPY instead of by INCLUDE_METADATA (see above)
                ddl, found = re.subn(rf"(\b{column.upper()} [A-Z_]+(?:\(\d+\))?) NOT NULL", r"\1", ddl)
                assert found == 1, (column, ddl)
            cur.execute(ddl)
        cur.execute(f"CREATE STAGE {db}.{schema}.{names['stage']} URL = '{(root / 'processed').as_uri()}/'")
        loaded = {}
        for pipe in answers["snowflake"]["pipes"]:
            table = pipe["table"]
            table_dir = root / "processed" / table
            keys = sorted(p.relative_to(table_dir).as_posix() for p in table_dir.rglob("*.parquet"))
            for key in keys:
                copy = _without_unsupported_options(pipe["sql"]) + f"\nFILES = ('{key}')"
                (status,) = [row[1] for row in cur.execute(copy).fetchall()]
                assert status == "LOADED", (table, key, status)
                cur.execute(
                    f"UPDATE {db}.{schema}.{table.upper()} SET SOURCE_FILE = %s, LOADED_AT = CURRENT_TIMESTAMP() "
                    "WHERE SOURCE_FILE IS NULL",
                    (f"{table}/{key}",),  # METADATA$FILENAME: the path after the stage's URL (processed/)
                )
            loaded[table] = keys
        for view in answers["snowflake"]["views"]:
            cur.execute(view["sql"])
        yield cur, loaded
        conn.close()


def _without_unsupported_options(copy: str) -> str:
    lines = copy.splitlines()
    kept = [line for line in lines if not line.startswith(("PATTERN", "INCLUDE_METADATA"))]
    assert len(kept) == len(lines) - 2, f"expected PATTERN and INCLUDE_METADATA in the pipe's COPY:\n{copy}"
    return "\n".join(kept)


def test_every_file_the_glue_job_wrote_loaded_once_with_its_metadata(snowflake, answers):
    cur, loaded = snowflake
    local = {(f["table"], f["file"]) for f in answers["duckdb"]["load"]["loaded"]}
    assert {(table, f"processed/{table}/{key}") for table, keys in loaded.items() for key in keys} == local
    assert answers["duckdb"]["load"]["skipped"] == []
    for table in loaded:
        (missing,) = cur.execute(f"SELECT COUNT_IF(SOURCE_FILE IS NULL OR LOADED_AT IS NULL) FROM {table.upper()}").fetchone()
        assert missing == 0, table


def test_timestamps_arrive_as_the_utc_instants_glue_wrote(snowflake):
    cur, _ = snowflake
    rows = cur.execute("SELECT DISTINCT RUN_ID, EXTRACTED_AT FROM PLAYLIST_TRACKS ORDER BY RUN_ID").fetchall()
    assert rows == [
        ("20261125T060000Z-a1b2c3", dt.datetime(2026, 11, 25, 6, 0)),
        ("20261202T060000Z-b2c3d4", dt.datetime(2026, 12, 2, 6, 0)),
    ]
    (added_at,) = cur.execute(
        "SELECT ADDED_AT FROM PLAYLIST_TRACKS WHERE PLAYLIST_ID = 'pl1AAAAAAAAAAAAAAAAAAA' AND POSITION = 0 LIMIT 1"
    ).fetchone()
    assert added_at == dt.datetime(2026, 1, 2, 3, 4, 5)


def test_listening_history_counts_a_listen_an_export_and_a_poll_both_hold_once(snowflake):
    # Ana's exports in week 2 (glue_testing._listening): Extended Streaming History holding two of her polls (one 5 s
    # off; the other's poll the re-run no longer has), and Account data holding an Extended stream again and, by name,
    # a poll. 0 ms and episode streams are no listens of music. The rule: docs/data-contracts.md, "Listening history".
    cur, _ = snowflake
    rows = cur.execute(
        "SELECT SPOTIFY_USER_ID, SOURCE, ENDED_AT, TRACK_ID, TRACK_NAME FROM LISTENING_HISTORY ORDER BY 1, 3, 2, 4"
    ).fetchall()
    got = _comparable(["spotify_user_id", "source", "ended_at", "track_id", "track_name"], rows, ordered=True)
    # The fixture's ids (tr1...) are not 22-character Spotify ids, so the exports' streams have no track_id and are
    # matched to polls by the track's name, as local files are.
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [
        ("user1", "export", "2026-11-20T18:00:00.000Z", None),  # in both exports: once
        ("user1", "poll", "2026-11-24T09:00:00.000Z", "tr3"),
        ("user1", "export", "2026-11-28T22:00:00.000Z", None),  # Account data: the poll of 22:00 by name
        ("user1", "export", "2026-11-30T07:30:05.000Z", None),  # the poll of 07:30:00
        ("user1", "export", "2026-12-01T08:00:04.000Z", None),
        ("user1", "poll", "2026-12-01T20:15:00.250Z", "tr1"),
        ("user2", "poll", "2026-11-29T12:00:00.000Z", "tr5"),
        ("user2", "poll", "2026-12-01T12:00:00.000Z", "tr5"),
    ]


def test_the_views_read_only_the_latest_committed_attempt_of_each_run(snowflake, warehouse_bucket):
    cur, _ = snowflake
    _, attempts = warehouse_bucket
    assert cur.execute("SELECT RUN_ID, ATTEMPT_ID FROM COMMITTED_ATTEMPTS ORDER BY RUN_ID").fetchall() == [
        ("20261125T060000Z-a1b2c3", attempts["w1"]),  # not the killed attempt
        ("20261202T060000Z-b2c3d4", "w2-rerun"),
    ]
    (rows,) = cur.execute(
        "SELECT COUNT(*) FROM COMMITTED_PLAYLIST_TRACKS WHERE RUN_ID = '20261202T060000Z-b2c3d4' AND PLAYLIST_ID = 'pl2BBBBBBBBBBBBBBBBBBB'"
    ).fetchone()
    assert rows == 3


def test_top_lists_are_current_per_listener_and_old_runs_keep_theirs(snowflake):
    """Week 1 is from before listeners (no user id); week 2 has Ana's lists and user2's own short-term tracks."""
    cur, _ = snowflake
    rows = cur.execute(
        "SELECT SPOTIFY_USER_ID, ITEM_TYPE, TIME_RANGE, MIN(RUN_ID), COUNT(*) FROM CURRENT_TOP_ITEMS GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2, 3"
    ).fetchall()
    week1, week2 = "20261125T060000Z-a1b2c3", "20261202T060000Z-b2c3d4"
    assert [r[:4] for r in rows] == [
        ("user1", "artist", "short_term", week2),
        ("user1", "track", "short_term", week2),
        ("user2", "track", "short_term", week2),
        (None, "artist", "short_term", week1),
        (None, "track", "short_term", week1),
    ]
    # Ana's short-term tracks were cut to one by the re-run; user2's list (the fixture's two, reversed) is whole.
    counts = {(r[0], r[1]): r[4] for r in rows}
    assert counts[("user1", "track")] == 1 and counts[("user2", "track")] == 2
    listeners = cur.execute("SELECT DISTINCT SPOTIFY_USER_ID, LISTENER_NAME FROM (" + _analysis("my_top_tracks_now") + ") ORDER BY 1 NULLS LAST").fetchall()
    assert listeners == [("user1", "ana"), ("user2", "user2"), (None, None)]


def _analysis(name: str) -> str:
    return (REPO / "snowflake-sql" / "analysis" / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def test_every_view_answers_as_the_local_warehouse(snowflake, answers):
    cur, _ = snowflake
    differing = []
    for view in answers["snowflake"]["views"]:
        name = view["name"]
        cur.execute(f"SELECT * FROM {name.upper()}")
        columns = [d[0].lower() for d in cur.description]
        local = answers["duckdb"]["views"][name]
        assert columns == local["columns"], name
        got = _comparable(columns, cur.fetchall(), ordered=False)
        want = _comparable(local["columns"], local["rows"], ordered=False)
        if got != want:
            differing.append((name, got[:5], want[:5]))
        assert want, f"{name} is empty on the test data: it proves nothing"
    assert differing == []


def test_every_analysis_answers_as_the_local_warehouse_row_for_row(snowflake, answers):
    cur, _ = snowflake
    for analysis in answers["snowflake"]["analyses"]:
        name = analysis["name"]
        cur.execute(analysis["sql"])
        columns = [d[0].lower() for d in cur.description]
        local = answers["duckdb"]["analyses"][name]
        assert columns == local["columns"], name
        assert _comparable(columns, cur.fetchall(), ordered=True) == _comparable(local["columns"], local["rows"], ordered=True), name
        assert local["rows"], f"{name} answers nothing on the test data: it proves nothing"


def test_the_local_checks_pass_on_the_same_files(answers):
    assert [c for c in answers["duckdb"]["checks"] if not c["passed"]] == []


def test_the_check_files_answer_in_snowflake_sql_as_on_duckdb(snowflake, answers):
    """The same snowflake-sql/checks files, as Snowflake SQL: every check, its verdict and its detail as DuckDB's."""
    cur, _ = snowflake
    got = []
    for statement in answers["snowflake"]["checks"]:
        cur.execute(statement["sql"])
        columns = [d[0].lower() for d in cur.description]
        assert columns == ["table_name", "check_name", "passed", "detail"], statement["check"]
        got += [{"table": t, "check": c, "passed": bool(p), "detail": d} for t, c, p, d in cur.fetchall()]
    assert got == answers["duckdb"]["checks"]
    assert {c["check"] for c in got} >= {"row_count", "key_unique", "key_not_null", "entity_key_unique", "entity_key_not_null", "position_unique"}


def test_the_alert_conditions_answer_in_snowflake_sql_as_on_duckdb(snowflake, answers):
    """The checks alert's union (nothing fails here) and the weekly-commit alert (in 2030, the last commit is long past)."""
    cur, _ = snowflake
    for name, sql in answers["snowflake"]["alerts"].items():
        cur.execute(sql)
        columns = [d[0].lower() for d in cur.description]
        local = answers["duckdb"]["alerts"][name]
        assert columns == local["columns"], name
        assert _comparable(columns, cur.fetchall(), ordered=True) == _comparable(local["columns"], local["rows"], ordered=True), name
    assert answers["duckdb"]["alerts"]["checks"]["rows"] == []
    assert [row[1] for row in answers["duckdb"]["alerts"]["weekly_commit"]["rows"]] == ["weekly_commit"]


def test_the_pipes_pattern_takes_every_data_file_and_nothing_else(answers, warehouse_bucket):
    root, _ = warehouse_bucket
    for pipe in answers["snowflake"]["pipes"]:
        (pattern,) = re.findall(r"^PATTERN = '(.*)'$", pipe["sql"], flags=re.M)
        table = pipe["table"]
        # Snowpipe applies the pattern to the path below the stage's URL (processed/).
        written = [p.relative_to(root / "processed").as_posix() for p in (root / "processed" / table).rglob("*") if p.is_file()]
        assert written and all(re.fullmatch(pattern, key) for key in written), (table, written)
        refused = [
            f"{table}/extract_date=2026-11-25/run_id=r/attempt_id=a/_temporary/0/part-00000.parquet",
            f"{table}/extract_date=2026-11-25/run_id=r/attempt_id=a/.part-00000.parquet.crc",
            f"{table}/extract_date=2026-11-25/run_id=r/part-00000.parquet",
            f"{table}/extract_date=2026-11-25/run_id=r/attempt_id=a/_SUCCESS",
            f"{table}/extract_date=soon/run_id=r/attempt_id=a/part-00000.parquet",
        ]
        assert [key for key in refused if re.fullmatch(pattern, key)] == [], table


def test_every_statement_the_stack_deploys_parses_as_snowflake_sql(answers):
    import sqlglot

    deployment = answers["snowflake"]
    for kind in ("tables", "pipes", "views", "analyses"):
        for item in deployment[kind]:
            parsed = [s for s in sqlglot.parse(item["sql"], read="snowflake", error_level=sqlglot.ErrorLevel.RAISE) if s]
            assert len(parsed) == 1, (kind, item["sql"])
