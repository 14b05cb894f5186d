"""The listening charts on real plays: the listening views and analyses of snowflake-sql/ run on the fixture runs'
plays (__tests__/warehouse/fixture-listening.ts: three listeners over four weeks), loaded by the pipeline's loader.
Every expected number is worked out by hand there (expected-listening-analyses.ts) and shown here as the page shows it.

Collected once the listening analyses are in snowflake-sql/ (see conftest.py); test_dashboard_app.py pins the same
charts to the listening-data contract's shapes in the meantime."""

from __future__ import annotations

import datetime as dt

from app_testing import chart_data, charts, metrics, run_app, texts

W16, W23 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)


SAM, MIRA, TEO = "u_sam", "u_mira", "u_teo"
W0, W1 = dt.date(2026, 7, 27), dt.date(2026, 11, 9)


def test_listening_charts_of_the_busiest_listener_and_latest_week(monkeypatch, full_warehouse):
    app = run_app(monkeypatch, full_warehouse)
    listener = app.selectbox(key="listener")
    assert listener.options == ["Mira", "sam", "u_teo"]  # listener names as the listeners view gives them
    assert listener.value == SAM  # 14 plays: the busiest, though not first by name
    assert app.selectbox(key="week").value == W23

    assert metrics(app) == {
        "Minutes listened": ("3", "-17 min vs previous week"),  # 3.2 against 20.5
        "Plays": ("1", "-6 vs previous week"),
        "Discovery": ("0%", "-43 pts vs previous week"),  # 0 against 42.9
    }
    minutes = chart_data(app, "listening_time_per_week")
    # Sam's silent weeks between his July play and November show as 0 (listening_time_per_week lists every week).
    silent = [(str(dt.date(2026, 8, 3) + dt.timedelta(weeks=n)), 0.0, 0) for n in range(14)]
    assert list(zip(minutes["week"], minutes["minutes_played"], minutes["plays"])) == [
        ("2026-07-27", 3.5, 1),
        *silent,
        ("2026-11-09", 16.7, 5),
        ("2026-11-16", 20.5, 7),
        ("2026-11-23", 3.2, 1),
    ]
    discovery = chart_data(app, "discovery_rate_per_week")
    assert list(zip(discovery["week"], discovery["discovery_pct"], discovery["discovery_plays"], discovery["plays"])) == [
        ("2026-07-27", 100.0, 1, 1),
        ("2026-11-09", 100.0, 5, 5),
        ("2026-11-16", 42.9, 3, 7),
        ("2026-11-23", 0.0, 0, 1),
    ]
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"], artists["plays_previous_week"])) == [("Ada L", 1, 6)]
    tracks = chart_data(app, "top_tracks_by_plays_per_week")
    assert list(zip(tracks["label"], tracks["plays"], tracks["plays_previous_week"])) == [("Five · Ada L", 1, 1)]
    heat = chart_data(app, "listening_by_hour_and_weekday")
    assert len(heat) == 7 * 24 and heat["plays"].sum() == 1
    played = heat[heat["plays"] > 0]
    assert list(zip(played["weekday"], played["hour_of_day"], played["plays"])) == [("Mon", 5, 1)]


def test_week_picker_moves_every_chart_to_that_week(monkeypatch, full_warehouse):
    app = run_app(monkeypatch, full_warehouse)
    app.selectbox(key="week").select(W16).run()
    assert not app.exception
    assert metrics(app) == {
        "Minutes listened": ("20", "+4 min vs previous week"),  # 20.5 against 16.7
        "Plays": ("7", "+2 vs previous week"),
        "Discovery": ("43%", "-57 pts vs previous week"),
    }
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"], artists["plays_previous_week"], artists["rank_this_week"])) == [
        ("Ada L", 6, 4, 1),
        ("Cy", 2, 0, 2),
        ("Bo", 1, 3, 3),
    ]
    tracks = chart_data(app, "top_tracks_by_plays_per_week")
    assert list(zip(tracks["label"], tracks["plays"], tracks["rank_this_week"])) == [
        ("One (Remastered) · Ada L", 2, 1),
        ("Six · Cy, Ada L", 2, 1),
        ("Five · Ada L", 1, 3),  # a tie is ordered by name (it was by track id: t2 before t5)
        ("Two · Ada L, Bo", 1, 3),
    ]
    heat = chart_data(app, "listening_by_hour_and_weekday")
    played = heat[heat["plays"] > 0]
    assert sorted(zip(played["iso_weekday"], played["hour_of_day"], played["plays"])) == [
        (1, 5, 1), (2, 7, 2), (5, 18, 2), (6, 10, 1), (7, 12, 1),
    ]
    # The playlists keep their own week picker (their runs' calendar), on the latest chart week.
    assert app.selectbox(key="chart_week").value == W23
    assert "playlist_changes" in charts(app)


def test_listener_picker(monkeypatch, full_warehouse):
    app = run_app(monkeypatch, full_warehouse)
    app.selectbox(key="listener").select(MIRA).run()
    app.selectbox(key="week").select(W16).run()
    assert not app.exception
    assert [h.value for h in app.header][0] == "Mira's listening"
    assert metrics(app)["Plays"] == ("3", "+2 vs previous week")
    artists = chart_data(app, "top_artists_by_plays_per_week")
    assert list(zip(artists["artist"], artists["plays"], artists["plays_previous_week"])) == [("Cy", 3, 1), ("Ada L", 1, 0)]
    minutes = chart_data(app, "listening_time_per_week")
    assert list(zip(minutes["week"], minutes["plays"])) == [("2026-11-09", 1), ("2026-11-16", 3), ("2026-11-23", 0)]


def test_a_silent_week_says_so(monkeypatch, full_warehouse):
    app = run_app(monkeypatch, full_warehouse)
    app.selectbox(key="listener").select(MIRA).run()
    assert app.selectbox(key="week").value == W23
    assert metrics(app)["Plays"] == ("0", "-3 vs previous week")
    assert "No plays in the week of mon 23 nov 2026." in texts(app)
    assert "top_artists_by_plays_per_week" not in charts(app)
    # A silent week once drew a solid heatmap whose legend read 0.000000.
    assert "listening_by_hour_and_weekday" not in charts(app)
    assert "No plays to place on the clock in the week of mon 23 nov 2026." in texts(app)


def test_switching_listener_keeps_the_week_or_says_why_not(monkeypatch, full_warehouse):
    app = run_app(monkeypatch, full_warehouse)
    app.selectbox(key="week").select(W0).run()
    app.selectbox(key="listener").select(MIRA).run()
    assert app.selectbox(key="week").value == W23  # Mira's plays start in November
    assert "Mira has no week of mon 27 jul 2026 in the warehouse: showing the week of mon 23 nov 2026." in texts(app)
    app.selectbox(key="week").select(W16).run()
    app.selectbox(key="listener").select(SAM).run()
    assert app.selectbox(key="week").value == W16
    assert metrics(app)["Plays"] == ("7", "+2 vs previous week")
