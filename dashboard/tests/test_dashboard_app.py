"""The dashboard on known warehouse data (streamlit.testing.v1.AppTest): the numbers each chart shows, the
pickers, and the screens for a missing, empty or busy warehouse."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

import listening_contract as contract
from app_testing import chart_data, charts, metrics, run_app, texts

W16, W23 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)


@pytest.fixture()
def listening(tmp_path, warehouse_copy):
    """The playlist fixture plus listening data of two listeners in the contract's shapes: (warehouse, sql_dir)."""
    return warehouse_copy, contract.install(warehouse_copy, tmp_path / "snowflake-sql")


# ---- playlists (the real analysis files on the fixture runs of __tests__/warehouse/fixture-data.ts) ------------
def test_playlist_movers_of_the_latest_week(monkeypatch, playlist_warehouse):
    app = run_app(monkeypatch, playlist_warehouse)
    assert app.selectbox(key="chart_week").value == W23
    changes = chart_data(app, "playlist_changes")
    got = sorted(zip(changes["playlist"], changes["change"], changes["tracks"]))
    # One (Remastered) on Late Night Drive went from 2 to 3 only because Six came in above it: not a move.
    assert got == [
        ("Late Night Drive", "New entries", 1),
        ("Morning Mix", "Drop-outs", 1),
        ("Morning Mix", "Moved down", 1),
        ("Morning Mix", "Moved up", 1),
        ("Morning Mix", "New entries", 1),
    ]
    moves = chart_data(app, "biggest_moves")
    assert list(zip(moves["label"], moves["previous_rank"], moves["current_rank"], moves["rank_change"])) == [
        ("One (Remastered) · Morning Mix", 1, 2, -1),
        ("Two · Morning Mix", 2, 1, 1),
    ]
    entries, drops = app.dataframe[0].value, app.dataframe[1].value
    assert entries.values.tolist() == [["Late Night Drive", "Six", "Cy, Ada L", 2], ["Morning Mix", "Five", "Ada L", 3]]
    assert drops.values.tolist() == [["Morning Mix", "Three", "Bo", 3]]


def test_release_year_mix(monkeypatch, playlist_warehouse):
    app = run_app(monkeypatch, playlist_warehouse)
    years = chart_data(app, "release_year_mix")
    assert list(zip(years["release_year"], years["tracks"], years["share_pct"])) == [
        ("2019", 1, 20.0),
        ("2024", 3, 60.0),
        ("unknown", 1, 20.0),
    ]


def test_without_listening_data_the_listening_part_says_what_to_run(monkeypatch, playlist_warehouse):
    app = run_app(monkeypatch, playlist_warehouse)
    assert "No listening data yet" in texts(app)
    assert "make run" in texts(app)
    assert not any(d.startswith(("listening_", "top_", "discovery_")) for d in charts(app))
    assert {"playlist_changes", "biggest_moves", "release_year_mix"} <= set(charts(app))


# ---- listening (contract shapes) ------------------------------------------------------------------------------
def test_listening_charts_of_the_first_listener_and_latest_week(monkeypatch, listening):
    app = run_app(monkeypatch, *listening)
    assert app.selectbox(key="listener").value == contract.MIRA
    assert app.selectbox(key="listener").options == ["Mira", "Theo"]
    assert app.selectbox(key="week").value == W23

    assert metrics(app) == {
        "Minutes listened": ("201", "+49 min vs previous week"),
        "Plays": ("55", "+15 vs previous week"),
        "Discovery": ("40%", "-60 pts vs previous week"),
    }
    minutes = chart_data(app, "listening_time_per_week")
    assert list(zip(minutes["week"], minutes["minutes_played"], minutes["plays"])) == [("2026-11-16", 152.0, 40), ("2026-11-23", 201.0, 55)]
    discovery = chart_data(app, "discovery_rate_per_week")
    assert list(zip(discovery["week"], discovery["discovery_pct"], discovery["discovery_plays"])) == [
        ("2026-11-16", 100.0, 40),
        ("2026-11-23", 40.0, 22),
    ]
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"], artists["plays_previous_week"])) == [("Ada L", 20, 10), ("Cy", 15, 0), ("Bo", 5, 8)]
    tracks = chart_data(app, "top_tracks_by_plays_per_week")
    assert list(zip(tracks["label"], tracks["plays"], tracks["plays_previous_week"])) == [
        ("Six · Cy, Ada L", 9, 0),
        ("One (Remastered) · Ada L", 7, 4),
    ]
    heat = chart_data(app, "listening_by_hour_and_weekday")
    assert len(heat) == 7 * 24 and heat["plays"].sum() == 55
    played = heat[heat["plays"] > 0]
    assert sorted(zip(played["weekday"], played["hour_of_day"], played["plays"])) == [
        ("Mon", 8, 5), ("Mon", 9, 10), ("Sun", 23, 15), ("Wed", 20, 25),
    ]


def test_week_picker_moves_every_chart_to_that_week(monkeypatch, listening):
    app = run_app(monkeypatch, *listening)
    app.selectbox(key="week").select(W16).run()
    assert not app.exception
    assert metrics(app)["Minutes listened"] == ("152", None)  # no week before it: no delta
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"])) == [("Ada L", 10), ("Bo", 8)]
    heat = chart_data(app, "listening_by_hour_and_weekday")
    played = heat[heat["plays"] > 0]
    assert list(zip(played["weekday"], played["hour_of_day"], played["plays"])) == [("Tue", 7, 40)]
    # The playlists keep their own week (their runs' calendar): still the latest chart week.
    assert app.selectbox(key="chart_week").value == W23
    assert "playlist_changes" in charts(app)


def test_listener_picker(monkeypatch, listening):
    app = run_app(monkeypatch, *listening)
    app.selectbox(key="listener").select(contract.THEO).run()
    assert not app.exception
    assert [h.value for h in app.header][0] == "Theo's listening"
    assert metrics(app)["Plays"] == ("12", None)
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"])) == [("Bo", 12)]
    minutes = chart_data(app, "listening_time_per_week")
    assert list(minutes["week"]) == ["2026-11-23"]


# ---- the warehouse is missing, empty or busy -------------------------------------------------------------------
def test_no_warehouse_file_says_to_run_make_run(monkeypatch, tmp_path):
    app = run_app(monkeypatch, tmp_path / "nothing-here.duckdb")
    assert "There is no local warehouse at" in texts(app)
    assert "Run `make run`" in texts(app)
    assert charts(app) == {}


def test_empty_warehouse_says_what_to_run(monkeypatch, empty_warehouse):
    app = run_app(monkeypatch, empty_warehouse)
    assert "Nothing to chart yet" in texts(app)
    assert "No playlist data yet" in texts(app) and "No listening data yet" in texts(app)
    assert charts(app) == {}


def test_a_run_writing_the_warehouse_is_waited_for_not_a_crash(monkeypatch, warehouse_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()", str(warehouse_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        app = run_app(monkeypatch, warehouse_copy)
        assert "being written by another process" in texts(app)
    finally:
        holder.communicate("", timeout=30)
    # Once the writer is gone, Refresh shows the charts.
    app.button[0].click().run()
    assert "playlist_changes" in charts(app)


# ---- defects of issue 21 (each failed on the page before its fix) ------------------------------------------------
def _execute(warehouse, *statements: str) -> None:
    import duckdb

    connection = duckdb.connect(str(warehouse))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()


def test_a_zero_delta_is_grey_and_arrowless_not_a_green_rise(monkeypatch, listening):
    warehouse, sql_dir = listening
    _execute(warehouse, "UPDATE contract_discovery_rate_per_week SET discovery_pct = 40.0 WHERE spotify_user_id = 'u_mira'")
    app = run_app(monkeypatch, warehouse, sql_dir)
    discovery = next(m for m in app.metric if m.label == "Discovery")
    assert discovery.delta == "±0 pts vs previous week"
    assert discovery.proto.color == discovery.proto.GRAY and discovery.proto.direction == discovery.proto.NONE


def test_top_ten_shows_every_tie_at_the_cut_ordered_by_name(monkeypatch, listening):
    warehouse, sql_dir = listening
    # Nine artists above a three-way tie for 10th: ids sort the other way round from names.
    rows = [(f"ar_{n:02d}", f"Artist {n:02d}", 30 - n, n) for n in range(1, 10)]
    rows += [("ar_zz", "Alpha", 5, 10), ("ar_mm", "Mid", 5, 10), ("ar_aa", "Zed", 5, 10)]
    _execute(
        warehouse,
        "DELETE FROM contract_top_artists_by_plays_per_week WHERE spotify_user_id = 'u_mira' AND week_start = DATE '2026-11-23'",
        *(
            f"INSERT INTO contract_top_artists_by_plays_per_week VALUES ('u_mira', 'Mira', DATE '2026-11-23', '{i}', '{a}', {p}, NULL, {r})"
            for i, a, p, r in rows
        ),
    )
    app = run_app(monkeypatch, warehouse, sql_dir)
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(artists["artist"])[9:] == ["Alpha", "Mid", "Zed"]
    assert list(artists["rank_this_week"])[9:] == [10, 10, 10]
    assert "Ties at the cut are all shown" in texts(app)


def test_playlists_have_their_own_week_picker(monkeypatch, listening):
    """Plays weeks and playlist-run weeks are two calendars: picking a plays week must not blank the playlists."""
    app = run_app(monkeypatch, *listening)
    assert app.selectbox(key="chart_week").options == ["Week of Mon 23 Nov 2026"]
    app.selectbox(key="week").select(W16).run()
    assert app.selectbox(key="chart_week").value == W23
    assert "playlist_changes" in charts(app)


def test_a_load_between_two_reruns_is_seen_without_refresh(monkeypatch, listening):
    warehouse, sql_dir = listening
    app = run_app(monkeypatch, warehouse, sql_dir)
    assert metrics(app)["Plays"][0] == "55"
    _execute(warehouse, "UPDATE contract_listening_time_per_week SET plays = 60 WHERE spotify_user_id = 'u_mira' AND week_start = DATE '2026-11-23'")
    app.run()
    assert metrics(app)["Plays"][0] == "60"


def test_the_page_names_no_absolute_path(monkeypatch, listening):
    app = run_app(monkeypatch, *listening)
    caption = app.caption[0].value
    assert "warehouse.duckdb" in caption and str(listening[0].parent) not in caption


def test_the_current_week_is_labelled_so_far_and_the_page_opens_on_the_last_complete_one(monkeypatch, listening):
    monkeypatch.setenv("DASHBOARD_NOW", "2026-11-25T10:00:00Z")  # a Wednesday in the week of 23 Nov
    app = run_app(monkeypatch, *listening)
    week = app.selectbox(key="week")
    assert week.options == ["Week of Mon 23 Nov 2026 (so far)", "Week of Mon 16 Nov 2026"]
    assert week.value == W16
