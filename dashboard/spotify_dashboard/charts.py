"""Altair (Vega-Lite) charts, one function per chart: a DataFrame in, a chart out, every mark with a tooltip
that shows the numbers. Each chart carries a `description` naming it, which screen readers announce and the
tests use to find it. Plain Altair 4/5 API only: Streamlit in Snowflake may run an older Altair than ours."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from .questions import WEEKDAYS

ACCENT = "#1DB954"  # Spotify green: the selected week, this week's plays
MUTED = "#B3B3B3"
UP = "#1DB954"
DOWN = "#E4572E"


def _week_label(frame: pd.DataFrame, column: str = "week_start") -> pd.DataFrame:
    frame = frame.copy()
    frame["week"] = [d.isoformat() for d in frame[column]]
    return frame


def _highlight(selected: dt.date | None) -> alt.Color:
    return alt.condition(
        alt.datum.week == (selected.isoformat() if selected else ""), alt.value(ACCENT), alt.value(MUTED)
    )


def listening_time(frame: pd.DataFrame, selected: dt.date | None) -> alt.Chart:
    data = _week_label(frame)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("week:O", title="Week starting (Monday, UTC)", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("minutes_played:Q", title="Minutes listened"),
            color=_highlight(selected),
            tooltip=[
                alt.Tooltip("week:O", title="Week starting"),
                alt.Tooltip("minutes_played:Q", title="Minutes", format=",.0f"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
            ],
        )
        .properties(description="listening_time_per_week", height=260)
    )


def discovery_rate(frame: pd.DataFrame, selected: dt.date | None) -> alt.Chart:
    data = _week_label(frame)
    base = alt.Chart(data).encode(
        x=alt.X("week:O", title="Week starting (Monday, UTC)", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("discovery_pct:Q", title="Plays of tracks new to you (%)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[
            alt.Tooltip("week:O", title="Week starting"),
            alt.Tooltip("discovery_pct:Q", title="Discovery %", format=".1f"),
            alt.Tooltip("discovery_plays:Q", title="Plays of new tracks", format=","),
            alt.Tooltip("plays:Q", title="All plays", format=","),
        ],
    )
    line = base.mark_line(color=MUTED)
    points = base.mark_circle(size=90).encode(color=_highlight(selected))
    return (line + points).properties(description="discovery_rate_per_week", height=260)


def top_items(frame: pd.DataFrame, label: str, title: str, description: str) -> alt.Chart:
    """This week's plays as bars, last week's as a dark tick on the same row: the move reads at a glance."""
    order = list(frame[label])
    y = alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=180))
    tooltip = [
        alt.Tooltip(f"{label}:N", title=title),
        alt.Tooltip("rank_this_week:Q", title="Rank this week"),
        alt.Tooltip("plays:Q", title="Plays this week", format=","),
        alt.Tooltip("plays_previous_week:Q", title="Plays last week", format=","),
    ]
    bars = alt.Chart(frame).mark_bar(color=ACCENT).encode(x=alt.X("plays:Q", title="Plays (tick: last week)", axis=alt.Axis(tickMinStep=1)), y=y, tooltip=tooltip)
    ticks = (
        alt.Chart(frame)
        .mark_tick(color="#191414", thickness=3, size=18)
        .encode(x="plays_previous_week:Q", y=y, tooltip=tooltip)
    )
    return (bars + ticks).properties(description=description, height=alt.Step(30))


def hour_weekday_heatmap(grid: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("hour_of_day:O", title="Hour of day (UTC)"),
            y=alt.Y("weekday:O", sort=list(WEEKDAYS), title=None),
            color=alt.Color("plays:Q", title="Plays", scale=alt.Scale(scheme="greens")),
            tooltip=[
                alt.Tooltip("weekday:O", title="Day"),
                alt.Tooltip("hour_of_day:O", title="Hour (UTC)"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
            ],
        )
        .properties(description="listening_by_hour_and_weekday", height=230)
    )


MOVEMENT_LABELS = {"entry": "New entries", "drop_out": "Drop-outs", "up": "Moved up", "down": "Moved down"}


def playlist_changes(movers: pd.DataFrame) -> alt.Chart:
    """How much each playlist changed: entries, drop-outs, tracks up and down."""
    counts = movers.groupby(["playlist", "movement"]).size().reset_index(name="tracks")
    counts["change"] = counts["movement"].map(MOVEMENT_LABELS)
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("playlist:N", title=None, axis=alt.Axis(labelLimit=160)),
            x=alt.X("tracks:Q", title="Tracks", stack="zero", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "change:N",
                title="Change",
                scale=alt.Scale(domain=list(MOVEMENT_LABELS.values()), range=[ACCENT, DOWN, "#7BC8F6", "#F5A623"]),
            ),
            tooltip=[
                alt.Tooltip("playlist:N", title="Playlist"),
                alt.Tooltip("change:N", title="Change"),
                alt.Tooltip("tracks:Q", title="Tracks"),
            ],
        )
        .properties(description="playlist_changes", height=alt.Step(30))
    )


def biggest_moves(movers: pd.DataFrame, limit: int = 12) -> alt.Chart | None:
    """Tracks that changed rank, largest moves first: right and green is up the playlist, left and red is down."""
    moved = movers[movers["movement"].isin(["up", "down"])].copy()
    if moved.empty:
        return None
    moved["size"] = moved["rank_change"].abs()
    moved = moved.sort_values(["size", "playlist", "track_id"], ascending=[False, True, True]).head(limit)
    moved["label"] = [f"{t} · {p}" for t, p in zip(moved["track"], moved["playlist"])]
    moved["direction"] = ["up" if c > 0 else "down" for c in moved["rank_change"]]
    return (
        alt.Chart(moved)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(moved["label"]), title=None, axis=alt.Axis(labelLimit=180)),
            x=alt.X("rank_change:Q", title="Places moved (up is positive)", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("direction:N", scale=alt.Scale(domain=["up", "down"], range=[UP, DOWN]), legend=None),
            tooltip=[
                alt.Tooltip("track:N", title="Track"),
                alt.Tooltip("playlist:N", title="Playlist"),
                alt.Tooltip("previous_rank:Q", title="Rank last week"),
                alt.Tooltip("current_rank:Q", title="Rank this week"),
                alt.Tooltip("rank_change:Q", title="Places moved"),
            ],
        )
        .properties(description="biggest_moves", height=alt.Step(30))
    )


def release_years(frame: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("release_year:O", sort=list(frame["release_year"]), title="Release year", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("tracks:Q", title="Tracks on your playlists"),
            tooltip=[
                alt.Tooltip("release_year:O", title="Release year"),
                alt.Tooltip("tracks:Q", title="Tracks"),
                alt.Tooltip("share_pct:Q", title="Share %", format=".1f"),
            ],
        )
        .properties(description="release_year_mix", height=260)
    )


# ---- the listening life (listening_history; times in the listener's zone) ---------------------------------------
def ranked_bars(frame: pd.DataFrame, label: str, title: str, description: str) -> alt.Chart:
    """Plays per artist or track, most first; every tie shown (history.top)."""
    y = alt.Y(f"{label}:N", sort=list(frame[label]), title=None, axis=alt.Axis(labelLimit=160))
    return (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("plays:Q", title="Plays", axis=alt.Axis(tickMinStep=1)),
            y=y,
            tooltip=[
                alt.Tooltip(f"{label}:N", title=title),
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
                alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
            ],
        )
        .properties(description=description, height=alt.Step(26))
    )


def clock_heatmap(grid: pd.DataFrame, zone: str) -> alt.Chart:
    """When the listener listens, in their own time zone. The colour scale starts at 0 and ends at the busiest cell
    (at least 1), so a quiet week never turns into one solid colour."""
    top = max(int(grid["plays"].max()), 1)
    return (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("hour_of_day:O", title=f"Hour ({zone})"),
            y=alt.Y("weekday:O", sort=list(WEEKDAYS), title=None),
            color=alt.Color("plays:Q", title="Plays", scale=alt.Scale(scheme="greens", domain=[0, top]), legend=alt.Legend(format="d", tickMinStep=1)),
            tooltip=[
                alt.Tooltip("weekday:O", title="Day"),
                alt.Tooltip("hour_of_day:O", title="Hour"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
            ],
        )
        .properties(description="clock_in_listener_time_zone", height=230)
    )


def minutes_per_month(frame: pd.DataFrame, description: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar(color=ACCENT)
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("minutes:Q", title="Minutes"),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
                alt.Tooltip("plays:Q", title="Plays", format=","),
            ],
        )
        .properties(description=description, height=240)
    )


def coverage_per_month(per_day: pd.DataFrame) -> alt.Chart:
    """Listens per month by source: where the history comes from an export and where from polls."""
    frame = per_day.assign(month=[d.strftime("%Y-%m") for d in per_day["utc_day"]]).groupby(["month", "source"])["listens"].sum().reset_index()
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month (UTC)", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("listens:Q", title="Listens", stack="zero"),
            color=alt.Color("source:N", title="Source", scale=alt.Scale(domain=["export", "poll"], range=["#7BC8F6", ACCENT])),
            tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("source:N", title="Source"), alt.Tooltip("listens:Q", title="Listens", format=",")],
        )
        .properties(description="coverage_by_source", height=220)
    )
