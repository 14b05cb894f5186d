"""What one page of the dashboard costs the warehouse: every question the page asks, timed on a warehouse file.

    .venv/bin/python bench/dashboard_bench.py <warehouse.duckdb> [--runs 3]

Use the 1,000,000-item warehouse of `npx tsx bench/warehouse-bench.ts --keep DIR` (DIR/warehouse.duckdb). Each
question opens the file read-only, runs its analysis wrapped in the page's filter and closes it, as the app does
(without the app's 5-minute cache, i.e. the first view of a week). Listening questions run when the warehouse has
the listening views and analysis files.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))

from spotify_dashboard.questions import DashboardData  # noqa: E402
from spotify_dashboard.warehouse import DuckDBWarehouse  # noqa: E402


def timed(fn, runs: int):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 3
    data = DashboardData(DuckDBWarehouse(args[0]))
    steps = [("playlists_state (release_year_mix)", data.playlists_state), ("chart_weeks (distinct weeks of chart_movements)", data.chart_weeks)]
    total = 0.0
    rows = []
    for name, fn in steps:
        seconds, result = timed(fn, runs)
        total += seconds
        rows.append((name, seconds, result))
    week = rows[1][2][0]
    page = [
        ("movers of one week (playlist_movers_per_week, filtered)", lambda: data.movers(week, data.playlist_listener())),
        ("release_years (release_year_mix)", lambda: data.release_years(data.playlist_listener())),
    ]
    if data.listening_state() is None:
        listener = data.listeners()["spotify_user_id"][0]
        page += [
            ("listening_time (one listener, all weeks)", lambda: data.listening_time(listener)),
            ("discovery (one listener, all weeks)", lambda: data.discovery(listener)),
            ("top_artists (one listener, one week)", lambda: data.top_artists(listener, week)),
            ("top_tracks (one listener, one week)", lambda: data.top_tracks(listener, week)),
            ("hour_weekday (one listener, one week)", lambda: data.hour_weekday(listener, week)),
        ]
    for name, fn in page:
        seconds, result = timed(fn, runs)
        total += seconds
        rows.append((name, seconds, result))
    print(f"warehouse {args[0]}, week {week}, median of {runs} runs")
    print("| question | wall time | rows |")
    print("| --- | ---: | ---: |")
    for name, seconds, result in rows:
        count = len(result) if hasattr(result, "__len__") else "-"
        print(f"| {name} | {seconds:.2f} s | {count} |")
    print(f"| **one page, uncached** | **{total:.2f} s** | |")


if __name__ == "__main__":
    main()
