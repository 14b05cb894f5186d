"""The movers the dashboard charts come from snowflake-sql/views/chart_movements.sql: a move is a change of place
against the playlist's own reorder. One drop-out at the top once counted every track below it as "moved up 1"
(~90 on a 90-track playlist), flooding the movers charts. Runs the view's file as written on DuckDB, over the two
views it reads, as plain tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

VIEW = Path(__file__).resolve().parents[2] / "snowflake-sql" / "views" / "chart_movements.sql"
W1, W2 = "2026-11-16", "2026-11-23"


def movements(weeks: dict[str, list[str]]) -> list[tuple]:
    """weeks: chart week -> the playlist's track ids in order; the movements of the later week, moved ones only."""
    connection = duckdb.connect()
    connection.execute("CREATE TABLE playlist_weeks (playlist_id VARCHAR, chart_week DATE)")
    connection.execute("CREATE TABLE playlist_chart (playlist_id VARCHAR, chart_week DATE, chart_rank INTEGER, track_id VARCHAR)")
    for week, tracks in weeks.items():
        connection.execute("INSERT INTO playlist_weeks VALUES ('pl', CAST(? AS DATE))", [week])
        connection.executemany("INSERT INTO playlist_chart VALUES ('pl', CAST(? AS DATE), ?, ?)", [(week, n + 1, t) for n, t in enumerate(tracks)])
    connection.execute(VIEW.read_text())
    return connection.execute(
        "SELECT track_id, movement, previous_rank, current_rank, rank_change FROM chart_movements "
        "WHERE movement <> 'same' ORDER BY movement, track_id"
    ).fetchall()


TRACKS = [f"t{n:02d}" for n in range(1, 91)]


def test_one_drop_out_moves_nothing_else():
    assert movements({W1: TRACKS, W2: TRACKS[1:]}) == [("t01", "drop_out", 1, None, None)]


def test_one_entry_at_the_top_moves_nothing_else():
    assert movements({W1: TRACKS[1:], W2: TRACKS}) == [("t01", "entry", None, 1, None)]


def test_a_swap_beside_a_drop_out_is_the_only_move():
    second = TRACKS[1:]
    second[43], second[44] = second[44], second[43]  # t45 and t46 trade places, after t01 left
    assert movements({W1: TRACKS, W2: second}) == [
        ("t45", "down", 45, 45, -1),
        ("t01", "drop_out", 1, None, None),
        ("t46", "up", 46, 44, 1),
    ]


@pytest.mark.parametrize("shift", [1, 5])
def test_a_track_moved_past_others_counts_the_places_it_passed(shift):
    second = TRACKS[1 : 1 + shift] + [TRACKS[0]] + TRACKS[1 + shift :]
    moved = movements({W1: TRACKS, W2: second})
    assert moved[0] == ("t01", "down", 1, 1 + shift, -shift)
    assert all(m[1] == "up" and m[4] == 1 for m in moved[1:]) and len(moved) == 1 + shift
