"""The listening-life views on known listens (history_fixture.ROWS, in the listening_history contract's shape):
periods in the listener's own time zone, top lists with ties, new vs repeat, skips, the clock, coverage, the
year in review and its card, comparing listeners, and an artist's detail. Every number is worked out by hand
from ROWS. The page's clock is pinned to Wed 25 Nov 2026 ($DASHBOARD_NOW)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import history_fixture as fixture
from streamlit.testing.v1 import AppTest

from app_testing import APP, chart_data, run_app, texts


@pytest.fixture()
def life(monkeypatch, warehouse_copy):
    fixture.install(warehouse_copy, fixture.ROWS)
    monkeypatch.setenv("DASHBOARD_NOW", "2026-11-25T10:00:00Z")
    monkeypatch.setenv("DASHBOARD_TIME_ZONES", fixture.TIME_ZONES)
    return run_app(monkeypatch, warehouse_copy, view="Listening life")


def test_with_a_history_the_page_opens_on_it(monkeypatch, warehouse_copy):
    fixture.install(warehouse_copy, fixture.ROWS)
    monkeypatch.setenv("DASHBOARD_NOW", "2026-11-25T10:00:00Z")
    app = AppTest.from_file(str(APP), default_timeout=60)
    monkeypatch.setenv("PIPELINE_WAREHOUSE_FILE", str(warehouse_copy))
    app.run()
    assert app.radio(key="view").value == "Listening life"
    assert app.radio(key="view").options == ["Listening life", "Year in review", "Compare listeners", "Track & artist", "Week & playlists"]


def test_opens_on_the_listener_with_the_most_listens(monkeypatch, warehouse_copy):
    # Theo's history only: Mira, first in the picker, has 9 listens; Theo, second, gets 12 more (an imported export).
    import datetime as dt

    more = [(fixture.THEO, "t4", dt.datetime(2026, 10, day, 10), 150000, "export", "Four", "Dee", "Third", False) for day in range(1, 13)]
    fixture.install(warehouse_copy, fixture.ROWS + more)
    monkeypatch.setenv("DASHBOARD_NOW", "2026-11-25T10:00:00Z")
    app = run_app(monkeypatch, warehouse_copy, view="Listening life")
    picker = app.selectbox(key="life_listener")
    assert picker.options == ["Mira", "Theo"]
    assert picker.value == fixture.THEO


def figures(app) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_opens_on_the_last_complete_week_in_the_listeners_time_zone(life):
    period = life.selectbox(key="life_period-week")
    assert period.options[:2] == ["Week of Mon 23 Nov 2026 (so far)", "Week of Mon 16 Nov 2026"]
    assert period.value.start.isoformat() == "2026-11-16"
    # Sun 15 Nov 23:30 in New York is 16 Nov in UTC: not in Mira's week.
    assert figures(life) == {"Minutes": "13", "Plays": "5", "Artists": "4", "New tracks": "2", "New": "2 plays", "Repeat": "3 plays", "Skipped": "33%"}
    artists = chart_data(life, "life_top_artists")
    assert list(zip(artists["artist_name"], artists["plays"], artists["rank"])) == [("Ada L", 2, 1), ("Bo", 1, 2), ("Cy", 1, 2), ("Mira", 1, 2)]
    tracks = chart_data(life, "life_top_tracks")
    assert list(tracks["label"]) == ["One · Ada L", "Home Demo · Mira", "Three · Cy", "Two · Bo"]
    clock = chart_data(life, "clock_in_listener_time_zone")
    played = clock[clock["plays"] > 0]
    assert sorted(zip(played["weekday"], played["hour_of_day"], played["plays"])) == [("Fri", 7, 1), ("Sat", 7, 1), ("Tue", 9, 2), ("Tue", 20, 1)]
    assert "Days and hours in America/New_York" in texts(life)
    # The week's card: what the PNG holds is test_the_card_is_a_png's; that it loads in a browser, the browser test's.
    images = [e for e in life.main if getattr(e, "type", None) == "image"]
    buttons = [e for e in life.main if getattr(e, "type", None) == "download_button"]
    assert len(images) == 1 and len(buttons) == 1
    assert buttons[0].proto.label == "Download the week card (PNG)"
    assert buttons[0].proto.id.endswith("card-Mira-2026-11-16-week.png")

    # What the history covers.
    text = texts(life)
    assert "**Imported export**: 10 Mar 2025 to 20 Nov 2026, 5 listens" in text
    assert "**Polled plays (the last 50, hourly)**: 01 Nov 2026 to 23 Nov 2026, 4 listens" in text
    assert "**Gaps in polling** (2+ UTC days without a polled play and no export): 02 Nov 2026 to 15 Nov 2026." in text
    coverage = chart_data(life, "coverage_by_source")
    assert sorted(zip(coverage["month"], coverage["source"], coverage["listens"])) == [("2025-03", "export", 1), ("2026-11", "export", 4), ("2026-11", "poll", 4)]


def test_month_year_and_all_time(life):
    life.radio(key="life_kind").set_value("year").run()
    assert life.selectbox(key="life_period-year").value.label(__import__("datetime").date(2026, 11, 25)) == "2025"  # the last complete year
    assert figures(life)["Plays"] == "1"
    life.radio(key="life_kind").set_value("all time").run()
    assert figures(life)["Plays"] == "9" and figures(life)["New tracks"] == "4"
    assert "No skips to show" not in texts(life)
    life.radio(key="life_kind").set_value("month").run()
    assert life.selectbox(key="life_period-month").value.label(__import__("datetime").date(2026, 11, 25)) == "October 2026"
    assert "No listens of Mira in october 2026." in texts(life)


def test_the_year_in_review_and_its_card(life):
    life.radio(key="view").set_value("Year in review").run()
    life.selectbox(key="review_year-year").select_index(0).run()  # 2026, so far
    assert [h.value for h in life.header][0] == "Mira's year in review: 2026 (so far)"
    assert figures(life) == {"Minutes": "22", "Plays": "8", "Artists": "4", "New tracks": "3"}
    months = chart_data(life, "review_minutes_per_month")
    assert list(zip(months["month"], months["plays"])) == [("2026-11", 8)]  # the 16 Nov 04:30 UTC listen is 15 Nov in New York: still November
    assert "Busiest day: Tuesday 17 November (3 listens, America/New_York)." in texts(life)
    artists = chart_data(life, "review_top_artists")
    assert list(zip(artists["artist_name"], artists["plays"])) == [("Ada L", 3), ("Bo", 3), ("Cy", 1), ("Mira", 1)]


def test_compare_listeners_shows_shared_and_unique_artists(life):
    life.radio(key="view").set_value("Compare listeners").run()
    assert {m.label: m.value for m in life.metric} == {"Shared artists": "1 of 5"}
    table = life.dataframe[0].value
    assert table.values.tolist() == [
        ["Ada L", 4, 1, "shared"],
        ["Bo", 3, 0, "Mira only"],
        ["Dee", 0, 2, "Theo only"],
        ["Cy", 1, 0, "Mira only"],
        ["Mira", 1, 0, "Mira only"],
    ]


def test_an_artists_detail(life):
    life.radio(key="view").set_value("Track & artist").run()
    life.selectbox(key="life_listener").select(fixture.THEO).run()
    life.selectbox(key="detail_artist").select("Dee").run()
    assert [h.value for h in life.header][0] == "Dee"
    assert figures(life) == {"Plays": "2", "Minutes": "5", "First heard": "18 Nov 2026", "Longest streak": "2 days"}
    life.radio(key="detail_kind").set_value("Track").run()
    assert life.selectbox(key="detail_track").options[0] == "Four · Dee"


def test_the_card_is_a_png():
    from spotify_dashboard.card import HEIGHT, WIDTH, render_card

    png = render_card("Mira's Week of Mon 23 Nov 2026 (so far)", "Year in review · UTC", [("minutes", "25")], [("Top artists", ["Ada L"])])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    # A long title shrinks to fit: nothing drawn in the right margin of the title's line.
    margin = image.crop((WIDTH - 60, 60, WIDTH, 170)).convert("L")
    assert margin.getextrema()[1] < 100
