"""listening_history as Snowflake SQL (fakesnow) on overlapping exports and polls: the same rows as the local
DuckDB warehouse, and the numbers worked out by hand in __tests__/warehouse/fixture-streams.ts. The bucket is
written by the TypeScript fixture (no Spark): one tsx run to write it, one for DuckDB's answers."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from test_fakesnow import REPO, _comparable, duckdb_answers, fakesnow_warehouse


@pytest.fixture(scope="module")
def history_bucket(tmp_path_factory):
    root = tmp_path_factory.mktemp("listening-history")
    npx = shutil.which("npx")
    assert npx, "npx (Node) is needed to write the fixture bucket"
    completed = subprocess.run(
        [npx, "tsx", str(REPO / "__tests__" / "warehouse" / "listening-history-bucket.ts"), "--bucket", str(root)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ},
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return root


@pytest.fixture(scope="module")
def answers(history_bucket, tmp_path_factory):
    return duckdb_answers(history_bucket, tmp_path_factory.mktemp("duckdb-history") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def cursor(answers, history_bucket):
    for cur, _ in fakesnow_warehouse(answers, history_bucket):
        yield cur


def _rows(cursor, sql):
    return _comparable([d[0].lower() for d in cursor.execute(sql).description], cursor.fetchall(), ordered=True)


def test_each_listen_once_by_listener_and_source(cursor):
    assert _rows(cursor, "SELECT SPOTIFY_USER_ID, SOURCE, COUNT(*) FROM LISTENING_HISTORY GROUP BY 1, 2 ORDER BY 1, 2") == [
        ["kai", "export", 1],
        ["u_mira", "poll", 4],
        ["u_sam", "export", 13],
        ["u_sam", "poll", 5],
        ["u_teo", "poll", 1],
    ]


def test_the_tolerance_edges_and_the_account_data_match(cursor):
    # P2 is 40 s from E2 (two listens); P4 is 0.5 s from E4 (one, the export's, skipped); P8 is A2's by name.
    assert _rows(cursor, "SELECT ENDED_AT, SOURCE, TRACK_ID, SKIPPED FROM LISTENING_HISTORY WHERE SPOTIFY_USER_ID = 'u_sam' "
                 "AND ENDED_AT BETWEEN '2026-11-09 08:00:00' AND '2026-11-09 08:10:00' ORDER BY 1") == [
        ["2026-11-09T08:00:03.000Z", "export", "t1", False],
        ["2026-11-09T08:04:00.000Z", "poll", "t2", None],
        ["2026-11-09T08:04:40.000Z", "export", "t2", False],
    ]
    assert _rows(cursor, "SELECT ENDED_AT, SOURCE, TRACK_NAME FROM LISTENING_HISTORY WHERE SPOTIFY_USER_ID = 'u_sam' "
                 "AND ENDED_AT BETWEEN '2026-11-14 23:00:00' AND '2026-11-17 08:00:00' ORDER BY 1") == [
        ["2026-11-14T23:59:59.000Z", "export", "Two"],
        ["2026-11-15T21:20:00.000Z", "export", "Tape"],
        ["2026-11-15T21:30:00.000Z", "export", "Six"],
        ["2026-11-15T22:00:10.000Z", "export", "Three"],
        ["2026-11-16T05:30:05.000Z", "export", "One"],
        ["2026-11-17T07:45:00.000Z", "poll", "Five"],
        ["2026-11-17T07:49:00.000Z", "export", "One"],
    ]


def test_snowflake_answers_as_the_local_warehouse(cursor, answers):
    local = answers["duckdb"]["views"]["listening_history"]
    got = _rows(cursor, "SELECT * FROM LISTENING_HISTORY")
    assert sorted(got, key=str) == sorted(_comparable(local["columns"], local["rows"], ordered=True), key=str)
    assert len(got) == 24
