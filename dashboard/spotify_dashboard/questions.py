"""What each part of the dashboard asks the warehouse, as pandas DataFrames, from the analysis files only.

Every answer comes from an analysis of snowflake-sql/analysis, narrowed by wrapping it (sql_files), with its
columns typed the same way whether DuckDB or Snowflake answered. When there is nothing to chart yet the methods
say why and what to run (`NoData`) instead of failing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from .sql_files import analysis_file, filtered_analysis
from .warehouse import Warehouse

# The listening analyses and views of the listening-data contract: names and columns are fixed there.
LISTENING_VIEWS = ("listeners",)
LISTENING_ANALYSES = (
    "listening_time_per_week",
    "top_artists_by_plays_per_week",
    "top_tracks_by_plays_per_week",
    "discovery_rate_per_week",
    "listening_by_hour_and_weekday",
)
PLAYLIST_VIEWS = ("chart_movements", "current_playlist_items", "listener_playlists")
PLAYLIST_ANALYSES = ("playlist_movers_per_week", "release_year_mix")

RUN_HINT = "Run `make run` (the whole pipeline on the sample data, or on your account once authorised), then press Refresh."
LISTENING_HINT = (
    "Run `make run` to extract and load listening history with the playlists, and "
    "`npm run pipeline -- extract --plays` to poll new plays between runs; then press Refresh."
)
NEXT_WEEK_HINT = (
    "Movers compare a week with the playlist's previous week: run the pipeline again next week, or locally "
    '`make run ARGS="--as-of <a date a week later>"`, then press Refresh.'
)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def top_with_ties(frame: pd.DataFrame, rank: str, name: str, limit: int) -> pd.DataFrame:
    """The top `limit` by rank (RANK(): ties share a rank), with every tie at the cut: a tenth place shared by three
    shows all three. Within a rank by name, case-insensitively, then by id: a rule a reader can check, never the
    opaque id alone."""
    id_column = next((c for c in ("artist_id", "track_id", "track_key") if c in frame.columns), name)
    ordered = frame.assign(_name=frame[name].astype(str).str.casefold()).sort_values([rank, "_name", id_column], kind="stable")
    return ordered[ordered[rank] <= limit].drop(columns="_name").reset_index(drop=True)


@dataclass(frozen=True)
class NoData:
    """Nothing to show yet: what is missing and what to run."""

    message: str
    hint: str


QueryFn = Callable[[str, Sequence[Any]], pd.DataFrame]


def _dates(series: pd.Series) -> pd.Series:
    # DuckDB gives datetime64 or date objects, Snowflake date objects: always datetime.date.
    return pd.to_datetime(series).dt.date


def _numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for column in columns:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column])
    return frame


class DashboardData:
    def __init__(self, warehouse: Warehouse, query: QueryFn | None = None) -> None:
        self.warehouse = warehouse
        self._query: QueryFn = query or warehouse.query

    def _analysis(self, name: str, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        sql, params = filtered_analysis(name, where or {})
        return self._query(sql, params).copy()

    @cached_property
    def relations(self) -> set[str]:
        return self.warehouse.relations()

    def _missing(self, views: Sequence[str], analyses: Sequence[str]) -> list[str]:
        missing = [f"view {v}" for v in views if v not in self.relations]
        missing += [f"analysis {a}.sql" for a in analyses if analysis_file(a) is None]
        return missing

    # ---- availability ------------------------------------------------------------------------------------
    def playlists_state(self) -> NoData | None:
        missing = self._missing(PLAYLIST_VIEWS, PLAYLIST_ANALYSES)
        if missing:
            return NoData(f"No playlist data yet: this warehouse lacks {', '.join(missing)}.", RUN_HINT)
        if self._analysis("release_year_mix").empty:
            return NoData("No playlist data yet: no playlist has been loaded into the warehouse.", RUN_HINT)
        return None

    def listening_state(self) -> NoData | None:
        missing = self._missing(LISTENING_VIEWS, LISTENING_ANALYSES)
        if missing:
            return NoData(
                f"No listening data yet: this warehouse has no plays to chart (missing: {', '.join(missing)}).",
                LISTENING_HINT,
            )
        # A listener may be seen through their top lists alone: without a play there is still nothing to chart.
        if self.listeners().empty or self.busiest_listener() is None:
            return NoData("No listening data yet: no plays have been loaded into the warehouse.", LISTENING_HINT)
        return None

    # ---- pickers --------------------------------------------------------------------------------------------
    def listeners(self) -> pd.DataFrame:
        frame = self._query("SELECT spotify_user_id, listener_name FROM listeners", []).copy()
        frame["listener_name"] = frame["listener_name"].fillna(frame["spotify_user_id"])
        return frame.sort_values(["listener_name", "spotify_user_id"]).reset_index(drop=True)

    def busiest_listener(self) -> str | None:
        """The listener with the most plays over all weeks: the page opens on them."""
        frame = _numbers(self._analysis("listening_time_per_week"), ["plays"])
        if frame.empty:
            return None
        totals = frame.groupby("spotify_user_id")["plays"].sum()
        return str(totals.sort_values(ascending=False, kind="stable").index[0])

    def playlist_listener(self) -> str | None:
        """The listener with the most playlists now (the playlist part opens on them when no listener is picked);
        None when no playlist belongs to anyone (every playlist was read before listeners)."""
        frame = self._query(
            "SELECT spotify_user_id, COUNT(*) AS playlists, MIN(listener_name) AS listener_name FROM listener_playlists "
            "GROUP BY spotify_user_id ORDER BY playlists DESC, listener_name ASC, spotify_user_id ASC LIMIT 1",
            [],
        )
        return None if frame.empty else str(frame["spotify_user_id"].iloc[0])

    def chart_weeks(self) -> list[dt.date]:
        """Weeks that have a playlist chart to compare with the week before (the weeks of the movers analysis).

        Read from the view the analysis is built on, not by running the analysis for every week: at 1,000,000
        playlist items that is ~1M rows to ship for 49 dates (docs/benchmarks.md, Dashboard)."""
        weeks = self._query("SELECT DISTINCT chart_week FROM chart_movements", [])["chart_week"]
        return sorted(set(_dates(weeks)), reverse=True)

    # ---- listening (one listener) --------------------------------------------------------------------------
    def listening_time(self, listener: str) -> pd.DataFrame:
        frame = self._analysis("listening_time_per_week", {"spotify_user_id": listener})
        frame["week_start"] = _dates(frame["week_start"])
        return _numbers(frame, ["plays", "minutes_played"]).sort_values("week_start").reset_index(drop=True)

    def discovery(self, listener: str) -> pd.DataFrame:
        frame = self._analysis("discovery_rate_per_week", {"spotify_user_id": listener})
        frame["week_start"] = _dates(frame["week_start"])
        return _numbers(frame, ["plays", "discovery_plays", "discovery_pct"]).sort_values("week_start").reset_index(drop=True)

    def _top(self, name: str, listener: str, week: dt.date, limit: int) -> pd.DataFrame:
        frame = self._analysis(name, {"spotify_user_id": listener, "week_start": week})
        frame = _numbers(frame, ["plays", "plays_previous_week", "rank_this_week"])
        frame["plays_previous_week"] = frame["plays_previous_week"].fillna(0)
        return top_with_ties(frame, "rank_this_week", "artist" if "artist" in frame.columns else "track", limit)

    def top_artists(self, listener: str, week: dt.date, limit: int = 10) -> pd.DataFrame:
        return self._top("top_artists_by_plays_per_week", listener, week, limit)

    def top_tracks(self, listener: str, week: dt.date, limit: int = 10) -> pd.DataFrame:
        frame = self._top("top_tracks_by_plays_per_week", listener, week, limit)
        frame["label"] = [
            f"{track} · {artists}" if isinstance(artists, str) and artists else str(track)
            for track, artists in zip(frame["track"], frame["artist_names"])
        ]
        return frame

    def hour_weekday(self, listener: str, week: dt.date) -> pd.DataFrame:
        """Plays per (weekday, UTC hour) of the week: all 7 x 24 cells, 0 where nothing was played."""
        frame = _numbers(
            self._analysis("listening_by_hour_and_weekday", {"spotify_user_id": listener, "week_start": week}),
            ["iso_weekday", "hour_of_day", "plays"],
        )
        grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["iso_weekday", "hour_of_day"]).to_frame(index=False)
        merged = grid.merge(frame[["iso_weekday", "hour_of_day", "plays"]], how="left", on=["iso_weekday", "hour_of_day"])
        merged["plays"] = merged["plays"].fillna(0).astype(int)
        merged["weekday"] = [WEEKDAYS[d - 1] for d in merged["iso_weekday"]]
        return merged

    # ---- playlists (one listener's: those they own or collaborate on) ---------------------------------------------
    def _listeners_rows(self, name: str, listener: str | None, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """An analysis's rows of the listener's playlists; None: of the playlists nobody is named for (read before
        listeners). A playlist two listeners share is in both listeners' rows."""
        if listener is not None:
            return self._analysis(name, {**(where or {}), "spotify_user_id": listener})
        frame = self._analysis(name, where)
        return frame[frame["spotify_user_id"].isna()].reset_index(drop=True)

    def movers(self, week: dt.date, listener: str | None = None) -> pd.DataFrame:
        frame = self._listeners_rows("playlist_movers_per_week", listener, {"chart_week": week})
        frame["chart_week"] = _dates(frame["chart_week"])
        return _numbers(frame, ["previous_rank", "current_rank", "rank_change"])

    def release_years(self, listener: str | None = None) -> pd.DataFrame:
        frame = _numbers(self._listeners_rows("release_year_mix", listener), ["tracks", "share_pct"])
        frame["release_year"] = frame["release_year"].astype(str)
        # Oldest to newest reads as a timeline; tracks without a usable date come last.
        frame["order"] = [10_000 if y == "unknown" else int(y) for y in frame["release_year"]]
        return frame.sort_values("order").drop(columns="order").reset_index(drop=True)
