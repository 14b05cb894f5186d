"""Spotify listening dashboard: the same page locally (on the DuckDB warehouse `make run` builds) and in
Streamlit in Snowflake (on the deployed views). Start it locally with `make dashboard`.

The page only composes: spotify_dashboard.warehouse picks the warehouse, .questions runs the analysis files,
.charts draws them.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))  # spotify_dashboard/ sits beside this file

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from spotify_dashboard import charts  # noqa: E402
from spotify_dashboard.questions import NEXT_WEEK_HINT, DashboardData, NoData  # noqa: E402
from spotify_dashboard.warehouse import Warehouse, WarehouseUnavailable, open_warehouse  # noqa: E402

st.set_page_config(page_title="Spotify listening", page_icon="🎧", layout="wide")


# ---- Streamlit-version shims: Streamlit in Snowflake's warehouse runtime may run an older Streamlit ----------
def show_chart(chart: Any) -> None:
    if "width" in inspect.signature(st.altair_chart).parameters:
        st.altair_chart(chart, width="stretch")
    else:
        st.altair_chart(chart, use_container_width=True)


def show_table(frame: pd.DataFrame) -> None:
    options: dict[str, Any] = {"hide_index": True} if "hide_index" in inspect.signature(st.dataframe).parameters else {}
    st.dataframe(frame, **options)


def show_no_data(state: NoData) -> None:
    st.info(f"{state.message}\n\n{state.hint}")


# ---- data ------------------------------------------------------------------------------------------------------
@st.cache_data(ttl=300, show_spinner=False)
def run_query(_warehouse: Warehouse, where: str, sql: str, params: tuple) -> pd.DataFrame:
    # `where` (the warehouse's description) is part of the cache key; the warehouse object itself is not hashed.
    return _warehouse.query(sql, params)


def week_label(week: dt.date) -> str:
    return f"Week of {week.strftime('%a %d %b %Y')}"


def delta(current: float | None, previous: float | None, unit: str = "") -> str | None:
    if current is None or previous is None:
        return None
    return f"{current - previous:+,.0f}{unit} vs previous week"


def value_at(frame: pd.DataFrame, week: dt.date, column: str) -> float | None:
    rows = frame[frame["week_start"] == week]
    return None if rows.empty else float(rows.iloc[0][column])


def previous_value(frame: pd.DataFrame, week: dt.date, column: str) -> float | None:
    return value_at(frame, week - dt.timedelta(days=7), column) if value_at(frame, week, column) is not None else None


# ---- sections ------------------------------------------------------------------------------------------------
def listening_section(data: DashboardData, listener: str, listener_name: str, week: dt.date) -> None:
    st.header(f"{listener_name}'s listening")
    minutes = data.listening_time(listener)
    discovery = data.discovery(listener)
    if minutes.empty:
        show_no_data(NoData(f"No plays of {listener_name} in the warehouse yet.", "Poll plays with `npm run pipeline -- extract --plays`."))
        return
    this_minutes = value_at(minutes, week, "minutes_played")
    this_plays = value_at(minutes, week, "plays")
    this_discovery = value_at(discovery, week, "discovery_pct")
    col1, col2, col3 = st.columns(3)
    col1.metric("Minutes listened", "–" if this_minutes is None else f"{this_minutes:,.0f}",
                delta(this_minutes, previous_value(minutes, week, "minutes_played"), " min"))
    col2.metric("Plays", "–" if this_plays is None else f"{this_plays:,.0f}",
                delta(this_plays, previous_value(minutes, week, "plays")))
    col3.metric("Discovery", "–" if this_discovery is None else f"{this_discovery:.0f}%",
                delta(this_discovery, previous_value(discovery, week, "discovery_pct"), " pts"))

    left, right = st.columns(2)
    with left:
        st.subheader("Listening time per week")
        st.caption("How much did I listen each week? The selected week is green.")
        show_chart(charts.listening_time(minutes, week))
    with right:
        st.subheader("Discovery rate")
        st.caption("What share of my plays were tracks I had never played before that week?")
        show_chart(charts.discovery_rate(discovery, week))

    left, right = st.columns(2)
    artists = data.top_artists(listener, week)
    tracks = data.top_tracks(listener, week)
    with left:
        st.subheader("Top artists this week")
        st.caption("Plays this week (bar) against last week (tick).")
        if artists.empty:
            st.info(f"No plays in the {week_label(week).lower()}.")
        else:
            show_chart(charts.top_items(artists, "artist", "Artist", "top_artists_by_plays_per_week"))
    with right:
        st.subheader("Top tracks this week")
        st.caption("Plays this week (bar) against last week (tick).")
        if tracks.empty:
            st.info(f"No plays in the {week_label(week).lower()}.")
        else:
            show_chart(charts.top_items(tracks, "label", "Track", "top_tracks_by_plays_per_week"))

    st.subheader("When I listen")
    st.caption("Plays by weekday and hour of the day (UTC) in the selected week; darker is more.")
    show_chart(charts.hour_weekday_heatmap(data.hour_weekday(listener, week)))


def playlists_section(data: DashboardData, week: dt.date | None, chart_weeks: Sequence[dt.date], listener: str | None) -> None:
    """The listener's own playlists (owned or collaborative); None: the playlists read before listeners."""
    st.header("Playlist movers")
    if week is None or week not in chart_weeks:
        shown = "" if week is None else f" in the {week_label(week).lower()}"
        show_no_data(NoData(f"No playlist changes to show{shown}.", NEXT_WEEK_HINT))
    else:
        movers = data.movers(week, listener)
        left, right = st.columns(2)
        with left:
            st.subheader("What changed on each playlist")
            st.caption("Tracks that entered, dropped out, or moved up or down against the playlist's previous week.")
            show_chart(charts.playlist_changes(movers))
        with right:
            st.subheader("Biggest moves")
            st.caption("Places each track moved on its playlist: green up, red down.")
            moves = charts.biggest_moves(movers)
            if moves is None:
                st.info("No track changed rank this week.")
            else:
                show_chart(moves)
        left, right = st.columns(2)
        columns = {"playlist": "Playlist", "track": "Track", "artist_names": "Artists"}
        with left:
            st.subheader("New entries")
            entries = movers[movers["movement"] == "entry"]
            show_table(entries[[*columns, "current_rank"]].rename(columns={**columns, "current_rank": "Rank"}))
        with right:
            st.subheader("Drop-outs")
            drops = movers[movers["movement"] == "drop_out"]
            show_table(drops[[*columns, "previous_rank"]].rename(columns={**columns, "previous_rank": "Rank last week"}))

    st.header("Release years on your playlists")
    st.caption("From which years does the music on the playlists come right now? (tracks on each playlist's latest week)")
    show_chart(charts.release_years(data.release_years(listener)))


# ---- page ------------------------------------------------------------------------------------------------------
def main() -> None:
    warehouse = open_warehouse()
    data = DashboardData(warehouse, query=lambda sql, params: run_query(warehouse, warehouse.describe(), sql, tuple(params)))

    title, refresh = st.columns([5, 1])
    title.title("Your Spotify, week by week")
    title.caption(f"Data: {warehouse.describe()}")
    if refresh.button("Refresh", help="Read the warehouse again (after a new `make run`)"):
        run_query.clear()

    try:
        playlists = data.playlists_state()
        listening = data.listening_state()
    except WarehouseUnavailable as unavailable:
        st.warning(unavailable.message)
        st.info(unavailable.hint)
        return
    if playlists is not None and listening is not None:
        st.warning("Nothing to chart yet: the warehouse holds no playlists and no plays.")
        show_no_data(playlists)
        show_no_data(listening)
        return

    chart_weeks = data.chart_weeks() if playlists is None else []
    listener, listener_name, listening_weeks = None, None, []
    pick_listener, pick_week = st.columns(2)
    if listening is None:
        listeners = data.listeners()
        names = dict(zip(listeners["spotify_user_id"], listeners["listener_name"]))
        busiest = data.busiest_listener()
        start = list(names).index(busiest) if busiest in names else 0
        listener = pick_listener.selectbox("Listener", list(names), index=start, format_func=lambda uid: names[uid], key="listener")
        listener_name = names[listener]
        listening_weeks = list(data.listening_time(listener)["week_start"])
    weeks = sorted(set(listening_weeks) | set(chart_weeks), reverse=True)
    week_column = pick_week if listening is None else pick_listener
    week = week_column.selectbox("Week", weeks, format_func=week_label, key="week") if weeks else None

    if listening is None and week is not None:
        listening_section(data, listener, listener_name, week)
    else:
        st.header("Listening")
        show_no_data(listening or NoData("No listening weeks yet.", ""))
    if playlists is None:
        # The picked listener's playlists; without listening data, those of the listener with the most playlists.
        playlists_section(data, week, chart_weeks, listener if listener is not None else data.playlist_listener())
    else:
        st.header("Playlists")
        show_no_data(playlists)


main()
