"""Listens in the shape of the `listening_history` view contract (snowflake-sql/views/listening_history.sql), for
the dashboard's listening-life views: a small hand-worked set (ROWS, the answers are in test_dashboard_life.py) and a
synthetic two-year history for the browser test and the README screenshot (`synthetic()`).

`install(warehouse, rows)` replaces the warehouse copy's listening_history (and listeners) view with a table of
exactly the contract's columns, so the app runs its real SQL files on known listens.

    .venv/bin/python dashboard/tests/history_fixture.py <warehouse.duckdb>   # installs the synthetic history
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import duckdb

MIRA, THEO = "u_mira", "u_theo"
LISTENERS = [(MIRA, "Mira"), (THEO, "Theo")]
COLUMNS = ["spotify_user_id", "track_id", "ended_at", "ms_played", "source", "track_name", "artist_name", "album_name", "skipped"]
TYPES = ["VARCHAR", "VARCHAR", "TIMESTAMP", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN"]


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# UTC instants. Mira's zone is America/New_York (UTC-5 in November): her week of Mon 16 Nov 2026 runs from
# 16 Nov 05:00 UTC to 23 Nov 05:00 UTC.
ROWS = [
    (MIRA, "t1", _at("2025-03-10 12:00:00"), 200000, "export", "One", "Ada L", "First", False),
    (MIRA, "t2", _at("2026-11-01 12:00:00"), 180000, "poll", "Two", "Bo", "First", None),
    (MIRA, "t1", _at("2026-11-16 04:30:00"), 200000, "export", "One", "Ada L", "First", False),  # Sun 15 Nov, 23:30 in New York
    (MIRA, "t1", _at("2026-11-17 14:00:00"), 200000, "export", "One", "Ada L", "First", False),  # Tue 09:00
    (MIRA, "t1", _at("2026-11-17 14:05:00"), 200000, "export", "One", "Ada L", "First", True),  # Tue 09:05
    (MIRA, "t2", _at("2026-11-18 01:00:00"), 180000, "poll", "Two", "Bo", "First", None),  # Tue 20:00
    (MIRA, "t3", _at("2026-11-20 12:00:00"), 60000, "export", "Three", "Cy", "Second", False),  # Fri 07:00
    (MIRA, None, _at("2026-11-21 12:00:00"), 120000, "poll", "Home Demo", "Mira", None, None),  # Sat 07:00, a local file
    (MIRA, "t2", _at("2026-11-23 15:00:00"), 180000, "poll", "Two", "Bo", "First", None),  # the current week
    (THEO, "t1", _at("2026-11-17 10:00:00"), 200000, "poll", "One", "Ada L", "First", None),
    (THEO, "t4", _at("2026-11-18 10:00:00"), 150000, "poll", "Four", "Dee", "Third", None),
    (THEO, "t4", _at("2026-11-19 10:00:00"), 150000, "poll", "Four", "Dee", "Third", None),
]
TIME_ZONES = '{"Mira": "America/New_York"}'


def install(warehouse: Path, rows: list[tuple], listeners: list[tuple[str, str]] = LISTENERS) -> Path:
    connection = duckdb.connect(str(warehouse))
    try:
        definition = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, TYPES))
        connection.execute(f"CREATE OR REPLACE TABLE contract_listening_history ({definition})")
        connection.executemany(f"INSERT INTO contract_listening_history VALUES ({', '.join('?' for _ in COLUMNS)})", rows)
        connection.execute("CREATE OR REPLACE VIEW listening_history AS SELECT * FROM contract_listening_history")
        connection.execute("CREATE OR REPLACE TABLE contract_listeners (spotify_user_id VARCHAR, listener_name VARCHAR, display_name VARCHAR)")
        connection.executemany("INSERT INTO contract_listeners VALUES (?, ?, NULL)", listeners)
        connection.execute("CREATE OR REPLACE VIEW listeners AS SELECT * FROM contract_listeners")
    finally:
        connection.close()
    return warehouse


ARTISTS = ["Ada L", "Bo", "Cy", "Dee", "Ezra Moon", "Fenn", "Gala", "Hollow Pines", "Iris Vale", "June Harbor", "Kite", "Lumen"]


def synthetic(end: dt.datetime = dt.datetime(2026, 11, 30), days: int = 730, seed: int = 21) -> list[tuple]:
    """Two years of Mira (an export, then polls for the last two months, with a gap) and a year of Theo (polls)."""
    rng = random.Random(seed)
    tracks = [(f"t{a:02d}{n}", f"{name} song {n}", name) for a, name in enumerate(ARTISTS) for n in range(1, 7)]
    rows = []
    for listener, span, favourite in ((MIRA, days, 0), (THEO, 365, 4)):
        for back in range(span):
            day = end - dt.timedelta(days=back + 1)
            if listener == MIRA and 40 <= back <= 45:  # a week the poller did not run
                continue
            source = "poll" if back < 60 else "export"
            for _ in range(rng.randint(2, 14) if listener == MIRA else rng.randint(0, 8)):
                index = min(int(rng.expovariate(0.12)), len(tracks) - 1)
                track_id, name, artist = tracks[(index + favourite * 6) % len(tracks)]
                at = day + dt.timedelta(hours=rng.choice([7, 8, 12, 13, 18, 19, 20, 21, 22, 23]), minutes=rng.randint(0, 59))
                skipped = (rng.random() < 0.15) if source == "export" else None
                rows.append((listener, track_id, at, rng.randint(60_000, 260_000), source, name, artist, f"{artist} LP", skipped))
    return rows


if __name__ == "__main__":
    # Named as configured listeners are (lower-case), so that the configuration's time zones apply.
    install(Path(sys.argv[1]), synthetic(), [(MIRA, "mira"), (THEO, "theo")])
