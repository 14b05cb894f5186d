"""The listener's whole listening life, from the `listening_history` view (exported streams and polled plays, each
listen once; instants in UTC): periods (week, month, year, all time) in the listener's own time zone, and what the
views of the page ask of them. SQL (dashboard/sql/) picks the rows; the local-time arithmetic (which day, which
hour, which week a listen falls in) happens here, because DuckDB and Snowflake spell time zone conversion
differently and the files must run unchanged on both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

import pandas as pd

from .questions import WEEKDAYS, top_with_ties
from .sql_files import dashboard_sql

KINDS = ("week", "month", "year", "all time")
QueryFn = Callable[[str, Sequence[Any]], pd.DataFrame]


@dataclass(frozen=True)
class Period:
    """Local calendar days [start, end) of one period in the listener's time zone."""

    kind: str
    start: dt.date
    end: dt.date

    def label(self, today: dt.date) -> str:
        if self.kind == "week":
            text = f"Week of {self.start.strftime('%a %d %b %Y')}"
        elif self.kind == "month":
            text = self.start.strftime("%B %Y")
        elif self.kind == "year":
            text = str(self.start.year)
        else:
            return f"All time ({self.start.isoformat()} to {(self.end - dt.timedelta(days=1)).isoformat()})"
        return text + (" (so far)" if self.start <= today < self.end else "")

    def utc_bounds(self, zone: str) -> tuple[str, str]:
        """The period's first and last instant as UTC timestamps (text binds, no zone: the warehouse stores UTC)."""
        tz = ZoneInfo(zone)
        bounds = [dt.datetime.combine(d, dt.time(), tz).astimezone(dt.timezone.utc).replace(tzinfo=None) for d in (self.start, self.end)]
        return bounds[0].isoformat(sep=" "), bounds[1].isoformat(sep=" ")


def period_of(kind: str, day: dt.date) -> Period:
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, (start + dt.timedelta(days=32)).replace(day=1))
    if kind == "year":
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))
    raise ValueError(f"unknown period {kind!r}: one of {', '.join(KINDS)}")


def periods(kind: str, first: dt.date, last: dt.date) -> list[Period]:
    """Every period from the first listen's to the last's, newest first; all time is one period."""
    if kind == "all time":
        return [Period(kind, first, last + dt.timedelta(days=1))]
    found, day = [], first
    while day <= last:
        period = period_of(kind, day)
        found.append(period)
        day = period.end
    return found[::-1]


def opening_period(choices: Sequence[Period], today: dt.date) -> Period:
    """The last complete period; the current one (labelled "so far") only when it is all there is."""
    complete = [p for p in choices if p.end <= today]
    return complete[0] if complete else choices[0]


def local_time(utc: pd.Series, zone: str) -> pd.Series:
    return pd.to_datetime(utc).dt.tz_localize("UTC").dt.tz_convert(zone)


def track_key(frame: pd.DataFrame) -> pd.Series:
    """As first_heard.sql keys a track: its id, else `name:<artist> - <track>` (local files)."""
    names = "name:" + frame["artist_name"].fillna("") + " - " + frame["track_name"].fillna("")
    return frame["track_id"].where(frame["track_id"].notna(), names)


class History:
    """One listener's listening_history, asked through the dashboard's SQL files and typed here."""

    def __init__(self, query: QueryFn, listener: str, zone: str) -> None:
        self._query, self.listener, self.zone = query, listener, zone

    def _listens(self, name: str, *binds: Any) -> pd.DataFrame:
        frame = self._query(dashboard_sql(name), [self.listener, *binds]).copy()
        frame["ms_played"] = pd.to_numeric(frame["ms_played"]).astype("int64")
        frame["local"] = local_time(frame["ended_at"], self.zone)
        frame["track_key"] = track_key(frame)
        frame["skipped"] = frame["skipped"].astype("object")
        return frame

    def listens(self, period: Period) -> pd.DataFrame:
        return self._listens("listens_between", *period.utc_bounds(self.zone))

    def listens_of_artist(self, artist: str) -> pd.DataFrame:
        return self._listens("listens_of_artist", artist)

    def listens_of_track(self, key: str) -> pd.DataFrame:
        return self._listens("listens_of_track", key)

    def first_heard(self) -> pd.DataFrame:
        frame = self._query(dashboard_sql("first_heard"), [self.listener]).copy()
        frame["first_heard"] = pd.to_datetime(frame["first_heard"])
        return frame

    def per_day(self) -> pd.DataFrame:
        frame = self._query(dashboard_sql("listens_per_day"), [self.listener]).copy()
        frame["utc_day"] = pd.to_datetime(frame["utc_day"]).dt.date
        frame["listens"] = pd.to_numeric(frame["listens"]).astype("int64")
        return frame


def span(query: QueryFn) -> pd.DataFrame:
    """Per listener and source: first and last listen (UTC) and how many."""
    frame = query(dashboard_sql("listening_span"), []).copy()
    for column in ("first_listen", "last_listen"):
        frame[column] = pd.to_datetime(frame[column])
    frame["listens"] = pd.to_numeric(frame["listens"]).astype("int64")
    return frame


# ---- what a period's listens answer ------------------------------------------------------------------------------
def summary(listens: pd.DataFrame) -> dict[str, float]:
    return {
        "plays": len(listens),
        "minutes": listens["ms_played"].sum() / 60_000,
        "artists": listens["artist_name"].nunique(),
        "tracks": listens["track_key"].nunique(),
    }


def top(listens: pd.DataFrame, by: str, limit: int = 10) -> pd.DataFrame:
    """Top artists (by="artist") or tracks (by="track") by plays, with minutes; ties at the cut all shown, a tie
    ordered by name (questions.top_with_ties)."""
    if by == "artist":
        keys, name = ["artist_name"], "artist_name"
    else:
        keys, name = ["track_key", "track_name", "artist_name"], "track_name"
    frame = listens.assign(artist_name=listens["artist_name"].fillna("(unknown artist)"), track_name=listens["track_name"].fillna("(unknown track)"))
    grouped = frame.groupby(keys, dropna=False).agg(plays=("ms_played", "size"), ms=("ms_played", "sum")).reset_index()
    grouped["minutes"] = grouped["ms"] / 60_000
    grouped["rank"] = grouped["plays"].rank(method="min", ascending=False).astype(int)
    ranked = top_with_ties(grouped.drop(columns="ms"), "rank", name, limit)
    if by == "track":
        ranked["label"] = ranked["track_name"] + " · " + ranked["artist_name"]
    return ranked


def clock(listens: pd.DataFrame) -> pd.DataFrame:
    """Listens per (weekday, hour) in the listener's time zone: all 7 x 24 cells."""
    counts = (
        pd.DataFrame({"iso_weekday": listens["local"].dt.weekday + 1, "hour_of_day": listens["local"].dt.hour})
        .value_counts()
        .rename("plays")
        .reset_index()
    )
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["iso_weekday", "hour_of_day"]).to_frame(index=False)
    merged = grid.merge(counts, how="left", on=["iso_weekday", "hour_of_day"])
    merged["plays"] = merged["plays"].fillna(0).astype(int)
    merged["weekday"] = [WEEKDAYS[d - 1] for d in merged["iso_weekday"]]
    return merged


def new_vs_repeat(listens: pd.DataFrame, firsts: pd.DataFrame, period: Period, zone: str) -> dict[str, int]:
    """Plays of tracks first heard in this period (new) against tracks heard before it (repeat)."""
    start_utc = pd.Timestamp(period.utc_bounds(zone)[0])
    first = listens["track_key"].map(dict(zip(firsts["track_key"], firsts["first_heard"])))
    new = int((first >= start_utc).sum())
    return {"new": new, "repeat": len(listens) - new, "new_tracks": int(listens.loc[first >= start_utc, "track_key"].nunique())}


def skips(listens: pd.DataFrame) -> dict[str, float] | None:
    """Skipped share of the listens whose source says (Extended Streaming History exports); None when none does."""
    known = listens[listens["skipped"].notna()]
    if known.empty:
        return None
    skipped = int(known["skipped"].astype(bool).sum())
    return {"known": len(known), "skipped": skipped, "pct": 100.0 * skipped / len(known)}


def longest_streak(listens: pd.DataFrame) -> tuple[int, dt.date | None]:
    """The most consecutive local days with at least one listen, and the day that streak began."""
    days = sorted(set(listens["local"].dt.date))
    best, best_start, run, run_start = 0, None, 0, None
    for i, day in enumerate(days):
        if i and (day - days[i - 1]).days == 1:
            run += 1
        else:
            run, run_start = 1, day
        if run > best:
            best, best_start = run, run_start
    return best, best_start


def detail(listens: pd.DataFrame) -> dict[str, Any]:
    """Plays, minutes, first and last heard (local), longest streak of days: one artist's or one track's."""
    streak, since = longest_streak(listens)
    return {
        "plays": len(listens),
        "minutes": listens["ms_played"].sum() / 60_000,
        "first_heard": listens["local"].min(),
        "last_heard": listens["local"].max(),
        "streak_days": streak,
        "streak_start": since,
    }


def per_month(listens: pd.DataFrame) -> pd.DataFrame:
    months = listens["local"].dt.strftime("%Y-%m")
    return listens.assign(month=months).groupby("month").agg(plays=("ms_played", "size"), ms=("ms_played", "sum")).reset_index().assign(
        minutes=lambda f: f["ms"] / 60_000
    ).drop(columns="ms")


def compare(tops: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Top artists of several listeners side by side: one row per artist, plays per listener (0 when absent from
    that listener's top), and whether it is shared (in every listener's top) or whose alone."""
    names = list(tops)
    rows: dict[str, dict[str, int]] = {}
    for name, frame in tops.items():
        for artist, plays in zip(frame["artist_name"], frame["plays"]):
            rows.setdefault(artist, {})[name] = int(plays)
    table = pd.DataFrame([{"artist": a, **{n: p.get(n, 0) for n in names}} for a, p in rows.items()])
    if table.empty:
        return pd.DataFrame(columns=["artist", *names, "in"])
    table["in"] = ["shared" if all(r[n] > 0 for n in names) else next(n for n in names if r[n] > 0) + " only" for _, r in table.iterrows()]
    table["total"] = table[names].sum(axis=1)
    order = table["in"].map(lambda v: 0 if v == "shared" else 1)
    return table.assign(_o=order, _n=table["artist"].str.casefold()).sort_values(["_o", "total", "_n"], ascending=[True, False, True]).drop(columns=["_o", "_n", "total"]).reset_index(drop=True)


def coverage(per_day: pd.DataFrame, min_gap_days: int = 2) -> dict[str, Any]:
    """What the history covers: each source's first and last day, and the gaps in polling (runs of at least
    `min_gap_days` UTC days between the first and last polled day without a polled play, where no export fills
    in). A gap may be a quiet day or a poller that stopped: the page says both."""
    ranges = {
        source: (group["utc_day"].min(), group["utc_day"].max(), int(group["listens"].sum()))
        for source, group in per_day.groupby("source")
    }
    gaps: list[tuple[dt.date, dt.date]] = []
    if "poll" in ranges:
        covered = set(per_day["utc_day"])
        first, last = ranges["poll"][0], ranges["poll"][1]
        day, gap_start = first, None
        while day <= last:
            if day not in covered and gap_start is None:
                gap_start = day
            if day in covered and gap_start is not None:
                if (day - gap_start).days >= min_gap_days:
                    gaps.append((gap_start, day - dt.timedelta(days=1)))
                gap_start = None
            day += dt.timedelta(days=1)
    return {"ranges": ranges, "poll_gaps": gaps}
