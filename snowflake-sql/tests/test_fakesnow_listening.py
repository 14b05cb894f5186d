"""The listening views and analyses as Snowflake SQL (fakesnow) and on the local DuckDB warehouse, on the Glue job's
real output of listening runs only (glue_testing.LISTENING_RUNS): a weekly run, an hourly plays poll 12 days later
(no one listened in the week between) and a weekly run in which one listener had unsaved every track and their
follows failed. Plays cross the 2026/2027 year boundary (2026 has 53 ISO weeks) with UTC offsets.

Every view and analysis must answer the same on both engines, and the numbers below are worked out by hand:

  user1 (ana)  plays 2026-12-21 10:00 k1 | 2026-12-27 23:59:59.999 k2 | 2026-12-28 00:00 k1 (sent as 01:00+01:00) |
               2026-12-29 12:00 k3 (polled again by P) | 2027-01-01 00:30 k3 | 2027-01-11 07:00 k1 | 07:05 k4
  user2 (Bo)   plays 2027-01-01 00:00 k3 (sent as 2026-12-31T19:00:00-05:00)
  durations k1 1, k2 2, k3 3, k4 4 minutes.
"""

from __future__ import annotations

import pytest

from test_fakesnow import _comparable, duckdb_answers, fakesnow_warehouse

USER1, USER2 = "user1", "user2"


@pytest.fixture(scope="module")
def answers(listening_bucket, tmp_path_factory):
    return duckdb_answers(listening_bucket[0], tmp_path_factory.mktemp("duckdb-listening") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def cursor(answers, listening_bucket):
    for cur, _ in fakesnow_warehouse(answers, listening_bucket[0]):
        yield cur


def _rows(cursor, sql):
    return _comparable([d[0].lower() for d in cursor.execute(sql).description], cursor.fetchall(), ordered=True)


def test_a_plays_run_writes_only_the_tables_it_has_rows_for_and_is_visible_once_loaded(cursor, listening_bucket):
    root, results = listening_bucket
    written = {name for name, t in results["P"]["tables"].items() if t["files"]}
    assert written == {"plays", "tracks", "albums", "artists", "track_artists", "listener_profiles"}
    run_id = results["P"]["run_id"]
    on_disk = {p.parent.parent.parent.parent.name for p in (root / "processed").rglob(f"run_id={run_id}/attempt_id=*/*.parquet")}
    assert on_disk == written | {"transform_commits"}
    # The commit lists every data table; the empty ones with 0 rows, which attempt_loads finds loaded (0 of 0).
    loads = _rows(cursor, f"SELECT table_name, committed_rows, loaded_rows FROM ATTEMPT_LOADS WHERE RUN_ID = '{run_id}' ORDER BY 1")
    assert len(loads) == len(results["P"]["tables"])
    assert [row for row in loads if row[0] not in written] == [[t, 0, 0] for t in sorted(set(results["P"]["tables"]) - written)]
    assert _rows(cursor, "SELECT RUN_ID FROM COMMITTED_ATTEMPTS ORDER BY 1") == [[r["run_id"]] for r in results.values()]


def test_current_plays_holds_each_play_once_in_its_iso_week(cursor):
    assert _rows(cursor, "SELECT SPOTIFY_USER_ID, PLAYED_AT, WEEK_START, TRACK_ID FROM CURRENT_PLAYS ORDER BY 1, 2") == [
        [USER1, "2026-12-21T10:00:00.000Z", "2026-12-21", "k1"],
        [USER1, "2026-12-27T23:59:59.999Z", "2026-12-21", "k2"],
        [USER1, "2026-12-28T00:00:00.000Z", "2026-12-28", "k1"],
        [USER1, "2026-12-29T12:00:00.000Z", "2026-12-28", "k3"],
        [USER1, "2027-01-01T00:30:00.000Z", "2026-12-28", "k3"],
        [USER1, "2027-01-11T07:00:00.000Z", "2027-01-11", "k1"],
        [USER1, "2027-01-11T07:05:00.000Z", "2027-01-11", "k4"],
        [USER2, "2027-01-01T00:00:00.000Z", "2026-12-28", "k3"],
    ]


def test_libraries_are_the_latest_complete_snapshot_an_emptied_one_empty(cursor):
    assert _rows(cursor, "SELECT SPOTIFY_USER_ID, TRACK_ID, EXTRACT_DATE FROM CURRENT_SAVED_TRACKS ORDER BY 1, 2") == [
        [USER2, "k4", "2027-01-13"],  # user1 unsaved everything in L2: none
    ]
    assert _rows(cursor, "SELECT SPOTIFY_USER_ID, ARTIST_ID, EXTRACT_DATE FROM CURRENT_FOLLOWED_ARTISTS ORDER BY 1, 2") == [
        [USER1, "a1", "2026-12-30"],  # their follows failed in L2: L1's snapshot stays
        [USER1, "a2", "2026-12-30"],
        [USER2, "a3", "2027-01-13"],
    ]


def test_listening_time_per_week_across_the_year_boundary_with_a_silent_week(cursor, answers):
    sql = next(a["sql"] for a in answers["snowflake"]["analyses"] if a["name"] == "listening_time_per_week")
    assert _rows(cursor, sql) == [
        [USER1, "ana", "2027-01-11", 2, 5],
        [USER2, "Bo", "2027-01-11", 0, 0],
        [USER1, "ana", "2027-01-04", 0, 0],
        [USER2, "Bo", "2027-01-04", 0, 0],
        [USER1, "ana", "2026-12-28", 3, 7],
        [USER2, "Bo", "2026-12-28", 1, 3],
        [USER1, "ana", "2026-12-21", 2, 3],
    ]


def test_every_view_and_analysis_answers_as_the_local_warehouse(cursor, answers):
    differing = []
    for view in answers["snowflake"]["views"]:
        cursor.execute(f"SELECT * FROM {view['name'].upper()}")
        got = _comparable([d[0].lower() for d in cursor.description], cursor.fetchall(), ordered=False)
        local = answers["duckdb"]["views"][view["name"]]
        if got != _comparable(local["columns"], local["rows"], ordered=False):
            differing.append(view["name"])
    for analysis in answers["snowflake"]["analyses"]:
        cursor.execute(analysis["sql"])
        got = _comparable([d[0].lower() for d in cursor.description], cursor.fetchall(), ordered=True)
        local = answers["duckdb"]["analyses"][analysis["name"]]
        if got != _comparable(local["columns"], local["rows"], ordered=True):
            differing.append(analysis["name"])
    assert differing == []
    listening = ["listening_time_per_week", "top_artists_by_plays_per_week", "top_tracks_by_plays_per_week", "discovery_rate_per_week",
                 "listening_by_hour_and_weekday", "saved_not_played_90_days", "plays_by_context"]
    assert [name for name in listening if not answers["duckdb"]["analyses"][name]["rows"]] == []
