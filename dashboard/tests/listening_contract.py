"""Listening data in the shapes of the listening-data contract: the listening charts tested against the contract
itself (column names and types of each analysis's output), independently of the SQL that produces them.

`install(warehouse, sql_dir)` adds, to a copy of a test warehouse, one table per listening analysis holding the
rows below (exactly the analysis's contract columns) and the `listeners` view; and lays out a SQL folder: the
real snowflake-sql/ with each listening analysis replaced by a file that reads its table. The app then
runs exactly as it will on the real files: it wraps each analysis and filters it by listener and week.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]

MIRA, THEO = "u_mira", "u_theo"
LISTENERS = [(MIRA, "Mira"), (THEO, "Theo")]
W16, W23 = "2026-11-16", "2026-11-23"

# Known answers, per the contract's column lists (analysis -> (columns, rows)).
ROWS: dict[str, tuple[list[str], list[tuple]]] = {
    "listening_time_per_week": (
        ["spotify_user_id", "listener_name", "week_start", "plays", "minutes_played"],
        [
            (MIRA, "Mira", W23, 55, 201.0),
            (MIRA, "Mira", W16, 40, 152.0),
            (THEO, "Theo", W23, 12, 40.0),
        ],
    ),
    "top_artists_by_plays_per_week": (
        ["spotify_user_id", "listener_name", "week_start", "artist_id", "artist", "plays", "plays_previous_week", "rank_this_week"],
        [
            (MIRA, "Mira", W23, "ar1", "Ada L", 20, 10, 1),
            (MIRA, "Mira", W23, "ar3", "Cy", 15, None, 2),
            (MIRA, "Mira", W23, "ar2", "Bo", 5, 8, 3),
            (MIRA, "Mira", W16, "ar1", "Ada L", 10, None, 1),
            (MIRA, "Mira", W16, "ar2", "Bo", 8, None, 2),
            (THEO, "Theo", W23, "ar2", "Bo", 12, None, 1),
        ],
    ),
    "top_tracks_by_plays_per_week": (
        ["spotify_user_id", "listener_name", "week_start", "track_id", "track", "artist_names", "plays", "plays_previous_week", "rank_this_week"],
        [
            (MIRA, "Mira", W23, "t6", "Six", "Cy, Ada L", 9, None, 1),
            (MIRA, "Mira", W23, "t1", "One (Remastered)", "Ada L", 7, 4, 2),
            (MIRA, "Mira", W16, "t1", "One", "Ada L", 4, None, 1),
            (THEO, "Theo", W23, "t3", "Three", "Bo", 12, None, 1),
        ],
    ),
    "discovery_rate_per_week": (
        ["spotify_user_id", "listener_name", "week_start", "plays", "discovery_plays", "discovery_pct"],
        [
            (MIRA, "Mira", W23, 55, 22, 40.0),
            (MIRA, "Mira", W16, 40, 40, 100.0),
            (THEO, "Theo", W23, 12, 12, 100.0),
        ],
    ),
    "listening_by_hour_and_weekday": (
        ["spotify_user_id", "listener_name", "week_start", "iso_weekday", "hour_of_day", "plays"],
        [
            (MIRA, "Mira", W23, 1, 8, 5),
            (MIRA, "Mira", W23, 1, 9, 10),
            (MIRA, "Mira", W23, 3, 20, 25),
            (MIRA, "Mira", W23, 7, 23, 15),
            (MIRA, "Mira", W16, 2, 7, 40),
            (THEO, "Theo", W23, 5, 12, 12),
        ],
    ),
}

TYPES = {
    "week_start": "DATE",
    "plays": "BIGINT",
    "plays_previous_week": "BIGINT",
    "rank_this_week": "BIGINT",
    "discovery_plays": "BIGINT",
    "iso_weekday": "INTEGER",
    "hour_of_day": "INTEGER",
    "minutes_played": "DOUBLE",
    "discovery_pct": "DOUBLE",
}


def install(warehouse: Path, sql_dir: Path) -> Path:
    """Adds the contract-shaped data to `warehouse` and lays out `sql_dir`; returns sql_dir."""
    shutil.copytree(REPO / "snowflake-sql", sql_dir)
    connection = duckdb.connect(str(warehouse))
    try:
        for name, (columns, rows) in ROWS.items():
            table = f"contract_{name}"
            definition = ", ".join(f"{c} {TYPES.get(c, 'VARCHAR')}" for c in columns)
            connection.execute(f"CREATE TABLE {table} ({definition})")
            connection.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})", rows)
            # Replaces the real file where there is one: these tests pin the app to the contract's shapes, whatever
            # the SQL behind them (test_dashboard_listening.py runs the real files on real plays).
            analysis = sql_dir / "analysis" / f"{name}.sql"
            analysis.write_text(f"-- Question: {name} (contract-shaped test data)\nSELECT * FROM {table}\nORDER BY 1;\n")
        connection.execute("CREATE TABLE contract_listeners (spotify_user_id VARCHAR, listener_name VARCHAR)")
        connection.executemany("INSERT INTO contract_listeners VALUES (?, ?)", LISTENERS)
        connection.execute("CREATE OR REPLACE VIEW listeners AS SELECT * FROM contract_listeners")
    finally:
        connection.close()
    return sql_dir
