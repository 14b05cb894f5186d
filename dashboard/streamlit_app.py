"""Spotify listening dashboard: the same page locally (on the DuckDB warehouse `make run` builds) and in
Streamlit in Snowflake (on the deployed views). Start it locally with `make dashboard`.

The page only composes: spotify_dashboard.warehouse picks the warehouse, .questions runs the analysis files,
.charts draws them.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import sys
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))  # spotify_dashboard/ sits beside this file

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

import json  # noqa: E402

from spotify_dashboard import charts, history  # noqa: E402
from spotify_dashboard.card import render_card  # noqa: E402
from spotify_dashboard.sql_files import dashboard_sql_available  # noqa: E402
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
def run_query(_warehouse: Warehouse, where: str, version: str, sql: str, params: tuple) -> pd.DataFrame:
    # `where` (the warehouse's description) and `version` (read once per page run) are the cache key's warehouse
    # part; the warehouse object itself is not hashed. A load changes the version, so one page never mixes answers
    # from before and after it.
    return _warehouse.query(sql, params)


def now() -> dt.datetime:
    """The page's clock: $DASHBOARD_NOW (an ISO instant, for tests and screenshots) or the real one, in UTC."""
    fixed = os.environ.get("DASHBOARD_NOW")
    if fixed:
        return dt.datetime.fromisoformat(fixed.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def current_week() -> dt.date:
    today = now().date()
    return today - dt.timedelta(days=today.weekday())


def week_label(week: dt.date) -> str:
    return f"Week of {week.strftime('%a %d %b %Y')}" + (" (so far)" if week >= current_week() else "")


def opening_week(weeks: Sequence[dt.date]) -> dt.date:
    """The last complete week: the current one is partial (labelled "so far"), opened only when it is all there is."""
    complete = [w for w in weeks if w < current_week()]
    return max(complete) if complete else max(weeks)


def delta(current: float | None, previous: float | None, unit: str = "") -> str | None:
    if current is None or previous is None:
        return None
    change = round(current - previous)
    return f"{'±0' if change == 0 else f'{change:+,.0f}'}{unit} vs previous week"


def delta_color(text: str | None) -> str:
    # No change is neither good nor bad: grey, no arrow (Streamlit draws "+0" as a green rise otherwise).
    return "off" if text and text.startswith("±0") else "normal"


def metric(column: Any, label: str, value: str, change: str | None) -> None:
    options: dict[str, Any] = {"delta_color": delta_color(change)}
    if change and change.startswith("±0") and "delta_arrow" in inspect.signature(st.metric).parameters:
        options["delta_arrow"] = "off"
    column.metric(label, value, change, **options)


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
    metric(col1, "Minutes listened", "–" if this_minutes is None else f"{this_minutes:,.0f}",
           delta(this_minutes, previous_value(minutes, week, "minutes_played"), " min"))
    metric(col2, "Plays", "–" if this_plays is None else f"{this_plays:,.0f}",
           delta(this_plays, previous_value(minutes, week, "plays")))
    metric(col3, "Discovery", "–" if this_discovery is None else f"{this_discovery:.0f}%",
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
        st.caption("Plays this week (bar) against last week (tick). Ties at the cut are all shown; a tie is ordered by name.")
        if artists.empty:
            st.info(f"No plays in the {week_label(week).lower()}.")
        else:
            show_chart(charts.top_items(artists, "artist", "Artist", "top_artists_by_plays_per_week"))
    with right:
        st.subheader("Top tracks this week")
        st.caption("Plays this week (bar) against last week (tick). Ties at the cut are all shown; a tie is ordered by name.")
        if tracks.empty:
            st.info(f"No plays in the {week_label(week).lower()}.")
        else:
            show_chart(charts.top_items(tracks, "label", "Track", "top_tracks_by_plays_per_week"))

    st.subheader("When I listen")
    st.caption("Plays by weekday and hour of the day (UTC) in the selected week; darker is more.")
    grid = data.hour_weekday(listener, week)
    if grid["plays"].sum() == 0:
        # An all-zero grid drew one solid colour with a legend of "0.000000".
        st.info(f"No plays to place on the clock in the {week_label(week).lower()}.")
    else:
        show_chart(charts.hour_weekday_heatmap(grid))


def playlists_section(data: DashboardData, chart_weeks: Sequence[dt.date], listener: str | None) -> None:
    """The listener's own playlists (owned or collaborative); None: the playlists read before listeners."""
    st.header("Playlist movers")
    # Its own week picker: playlist runs and plays keep two calendars, and a plays week need not have a run.
    if not chart_weeks:
        show_no_data(NoData("No playlist changes to show yet.", NEXT_WEEK_HINT))
    else:
        week = st.selectbox("Playlist week", list(chart_weeks), format_func=week_label, key="chart_week")
        movers = data.movers(week, listener)
        left, right = st.columns(2)
        with left:
            st.subheader("What changed on each playlist")
            st.caption(
                "Tracks that entered, dropped out, or moved up or down against the playlist's previous week. A move "
                "is counted against the playlist's own reorder: tracks that only shifted because another left or "
                "came in did not move."
            )
            show_chart(charts.playlist_changes(movers))
        with right:
            st.subheader("Biggest moves")
            st.caption("Places each track moved on its playlist: green up, red down.")
            moves = charts.biggest_moves(movers)
            if moves is None:
                st.info("No track changed rank this week.")
            else:
                show_chart(moves)
        columns = {"playlist": "Playlist", "track": "Track", "artist_names": "Artists"}
        # Full width, one under the other, every row visible: side by side they were cut off at 1400 px.
        st.subheader("New entries")
        entries = movers[movers["movement"] == "entry"]
        show_table(entries[[*columns, "current_rank"]].rename(columns={**columns, "current_rank": "Rank"}))
        st.subheader("Drop-outs")
        drops = movers[movers["movement"] == "drop_out"]
        show_table(drops[[*columns, "previous_rank"]].rename(columns={**columns, "previous_rank": "Rank last week"}))

    st.header("Release years on your playlists")
    st.caption("From which years does the music on the playlists come right now? (tracks on each playlist's latest week)")
    show_chart(charts.release_years(data.release_years(listener)))


# ---- the listening life (listening_history) ------------------------------------------------------------------------
LIFE_VIEWS = ("Listening life", "Year in review", "Compare listeners", "Track & artist")
WEEK_VIEW = "Week & playlists"  # the weekly plays analyses and the playlist movers
TIME_ZONES_ENV = "DASHBOARD_TIME_ZONES"


def time_zones() -> dict[str, str]:
    """Listener name -> IANA time zone, from the configuration (`listeners[].timeZone`, passed by `pipeline
    dashboard` as JSON in $DASHBOARD_TIME_ZONES). Storage stays UTC; only the page's clock and days move."""
    try:
        zones = json.loads(os.environ.get(TIME_ZONES_ENV) or "{}")
    except json.JSONDecodeError:
        st.warning(f"${TIME_ZONES_ENV} is not JSON: times are shown in UTC.")
        return {}
    return zones if isinstance(zones, dict) else {}


def fmt_minutes(minutes: float) -> str:
    return f"{minutes:,.0f}"


def card_download(label: str, png: bytes, file_name: str) -> None:
    st.image(png, caption=label, width=360)
    st.download_button(f"Download the {label.lower()} (PNG)", png, file_name=file_name, mime="image/png", key=f"card-{file_name}")


def life_pickers(names: dict[str, str], spans: pd.DataFrame) -> tuple[str, str, dt.date, dt.date]:
    listeners = [uid for uid in names if uid in set(spans["spotify_user_id"])]
    # Opens on the listener with the most listens: the longest history (an imported export) is the page's point.
    listens = spans.groupby("spotify_user_id")["listens"].sum()
    start = max(range(len(listeners)), key=lambda i: (int(listens.get(listeners[i], 0)), -i))
    listener = st.selectbox("Listener", listeners, index=start, format_func=lambda uid: names[uid], key="life_listener")
    zone = time_zones().get(names[listener], "UTC")
    mine = spans[spans["spotify_user_id"] == listener]
    first = history.local_time(mine["first_listen"], zone).min().date()
    last = history.local_time(mine["last_listen"], zone).max().date()
    return listener, zone, first, last


def period_picker(kind: str, first: dt.date, last: dt.date, key: str) -> history.Period:
    today = now().date()
    choices = history.periods(kind, first, last)
    default = history.opening_period(choices, today)
    return st.selectbox("Period", choices, index=choices.index(default), format_func=lambda p: p.label(today), key=f"{key}-{kind}")


def period_figures(data: Any, listens: pd.DataFrame, period: history.Period, zone: str) -> tuple[dict, dict]:
    """A period's four figures (minutes, plays, artists, new tracks) in a row; returns them (totals, new vs repeat)."""
    totals = history.summary(listens)
    fresh = history.new_vs_repeat(listens, data.first_heard(), period, zone)
    cols = st.columns(4)
    cols[0].metric("Minutes", fmt_minutes(totals["minutes"]))
    cols[1].metric("Plays", f"{totals['plays']:,}")
    cols[2].metric("Artists", f"{totals['artists']:,}")
    cols[3].metric("New tracks", f"{fresh['new_tracks']:,}")
    return totals, fresh


def listening_life(query: Any, names: dict[str, str], spans: pd.DataFrame) -> None:
    listener, zone, first, last = life_pickers(names, spans)
    name = names[listener]
    pick_kind, pick_period = st.columns([1, 2])
    kind = pick_kind.radio("Period", history.KINDS, horizontal=True, key="life_kind", label_visibility="collapsed")
    with pick_period:
        period = period_picker(kind, first, last, "life_period")
    data = history.History(query, listener, zone)
    listens = data.listens(period)
    label = period.label(now().date())
    st.header(f"{name}: {label}")
    st.caption(f"Days and hours in {zone} (the listener's configured time zone); stored in UTC.")
    if listens.empty:
        st.info(f"No listens of {name} in {label.lower() if kind != 'all time' else 'the warehouse'}.")
        coverage_section(data)
        return
    totals, fresh = period_figures(data, listens, period, zone)
    artists, tracks = history.top(listens, "artist"), history.top(listens, "track")
    left, right = st.columns(2)
    with left:
        st.subheader("Top artists")
        st.caption("By plays; ties at the cut are all shown, a tie ordered by name.")
        show_chart(charts.ranked_bars(artists, "artist_name", "Artist", "life_top_artists"))
    with right:
        st.subheader("Top tracks")
        st.caption("By plays; ties at the cut are all shown, a tie ordered by name.")
        show_chart(charts.ranked_bars(tracks, "label", "Track", "life_top_tracks"))
    left, right = st.columns(2)
    with left:
        st.subheader("New vs repeat")
        st.caption("Plays of tracks first heard in this period, against tracks heard before it (as far as the history reaches).")
        st.metric("New", f"{fresh['new']:,} plays", help="tracks first heard in this period")
        st.metric("Repeat", f"{fresh['repeat']:,} plays", help="tracks heard before this period")
    with right:
        st.subheader("Skips")
        skipped = history.skips(listens)
        if skipped is None:
            st.info("No skips to show: only Extended Streaming History exports say whether a listen was skipped (polls do not).")
        else:
            st.metric("Skipped", f"{skipped['pct']:.0f}%", help=f"{skipped['skipped']:,} of {skipped['known']:,} listens whose export says")
    st.subheader("When I listen")
    st.caption(f"Listens by weekday and hour in {zone}; darker is more.")
    show_chart(charts.clock_heatmap(history.clock(listens), zone))
    if kind in ("week", "year"):
        title = f"{name}'s {label}"
        png = render_card(
            title,
            f"{period.start:%d %b %Y} to {period.end - dt.timedelta(days=1):%d %b %Y} · {zone}",
            [("minutes", fmt_minutes(totals["minutes"])), ("plays", f"{totals['plays']:,}"), ("artists", f"{totals['artists']:,}"), ("new tracks", f"{fresh['new_tracks']:,}")],
            [("Top artists", list(artists["artist_name"])), ("Top tracks", list(tracks["label"]))],
        )
        card_download(f"{kind.capitalize()} card", png, f"{name}-{period.start.isoformat()}-{kind}.png")
    coverage_section(data)


def coverage_section(data: history.History) -> None:
    st.subheader("What the history covers")
    found = history.coverage(data.per_day())
    lines = []
    for source, (start, end, count) in sorted(found["ranges"].items()):
        what = "Imported export" if source == "export" else "Polled plays (the last 50, hourly)"
        lines.append(f"- **{what}**: {start:%d %b %Y} to {end:%d %b %Y}, {count:,} listens")
    gaps = found["poll_gaps"]
    if gaps:
        shown = ", ".join(f"{a:%d %b %Y}" + ("" if a == b else f" to {b:%d %b %Y}") for a, b in gaps[:8])
        lines.append(f"- **Gaps in polling** (2+ UTC days without a polled play and no export): {shown}" + (f" and {len(gaps) - 8} more" if len(gaps) > 8 else "") + ". A gap is a quiet stretch or a poller that did not run: plays older than the last 50 are out of reach of the API.")
    else:
        lines.append("- **No gaps in polling** of 2 days or more.")
    st.markdown("\n".join(lines))
    show_chart(charts.coverage_per_month(data.per_day()))


def year_in_review(query: Any, names: dict[str, str], spans: pd.DataFrame) -> None:
    listener, zone, first, last = life_pickers(names, spans)
    name = names[listener]
    period = period_picker("year", first, last, "review_year")
    data = history.History(query, listener, zone)
    listens = data.listens(period)
    label = period.label(now().date())
    st.header(f"{name}'s year in review: {label}")
    if listens.empty:
        st.info(f"No listens of {name} in {label}.")
        return
    totals, fresh = period_figures(data, listens, period, zone)
    busiest = listens["local"].dt.date.value_counts().sort_index().idxmax()
    st.caption(f"Busiest day: {busiest:%A %d %B} ({int((listens['local'].dt.date == busiest).sum())} listens, {zone}).")
    st.subheader("Minutes per month")
    show_chart(charts.minutes_per_month(history.per_month(listens), "review_minutes_per_month"))
    artists, tracks = history.top(listens, "artist", 5), history.top(listens, "track", 5)
    left, right = st.columns(2)
    with left:
        st.subheader("Top 5 artists")
        show_chart(charts.ranked_bars(artists, "artist_name", "Artist", "review_top_artists"))
    with right:
        st.subheader("Top 5 tracks")
        show_chart(charts.ranked_bars(tracks, "label", "Track", "review_top_tracks"))
    png = render_card(
        f"{name}'s {period.start.year}",
        f"Year in review · {zone}",
        [("minutes", fmt_minutes(totals["minutes"])), ("plays", f"{totals['plays']:,}"), ("artists", f"{totals['artists']:,}"), ("new tracks", f"{fresh['new_tracks']:,}")],
        [("Top artists", list(artists["artist_name"])), ("Top tracks", list(tracks["label"]))],
    )
    card_download("Year card", png, f"{name}-{period.start.year}.png")


def compare_listeners(query: Any, names: dict[str, str], spans: pd.DataFrame) -> None:
    listeners = [uid for uid in names if uid in set(spans["spotify_user_id"])]
    if len(listeners) < 2:
        st.info("Comparing needs two listeners with listening history.")
        return
    chosen = st.multiselect("Listeners", listeners, default=listeners[:2], format_func=lambda uid: names[uid], key="compare_listeners")
    kind = st.radio("Period", history.KINDS, index=3, horizontal=True, key="compare_kind")
    zones = time_zones()
    firsts = [history.local_time(spans.loc[spans["spotify_user_id"] == uid, "first_listen"], "UTC").min().date() for uid in chosen]
    lasts = [history.local_time(spans.loc[spans["spotify_user_id"] == uid, "last_listen"], "UTC").max().date() for uid in chosen]
    if len(chosen) < 2:
        st.info("Pick two or more listeners.")
        return
    period = period_picker(kind, min(firsts), max(lasts), "compare_period")
    tops = {names[uid]: history.top(history.History(query, uid, zones.get(names[uid], "UTC")).listens(period), "artist", 20) for uid in chosen}
    table = history.compare(tops)
    shared = int((table["in"] == "shared").sum())
    union = len(table)
    st.header(f"Top 20 artists of {', '.join(tops)}: {period.label(now().date())}")
    st.metric("Shared artists", f"{shared} of {union}", help="in every chosen listener's top 20 (ties at the cut included), of all artists in any of them")
    st.caption("Each listener's period is in their own time zone. Plays per listener; 0 = not in that listener's top 20.")
    show_table(table.rename(columns={"artist": "Artist", "in": "In"}))


def track_and_artist(query: Any, names: dict[str, str], spans: pd.DataFrame) -> None:
    listener, zone, first, last = life_pickers(names, spans)
    data = history.History(query, listener, zone)
    everything = data.listens(history.Period("all time", first, last + dt.timedelta(days=1)))
    kind = st.radio("Detail of", ("Artist", "Track"), horizontal=True, key="detail_kind")
    if kind == "Artist":
        ranked = history.top(everything, "artist", 200)
        artist = st.selectbox("Artist", list(ranked["artist_name"]), key="detail_artist")
        listens, title = data.listens_of_artist(artist), artist
    else:
        ranked = history.top(everything, "track", 200)
        labels = dict(zip(ranked["track_key"], ranked["label"]))
        key = st.selectbox("Track", list(labels), format_func=lambda k: labels[k], key="detail_track")
        listens, title = data.listens_of_track(key), labels[key]
    found = history.detail(listens)
    st.header(title)
    cols = st.columns(4)
    cols[0].metric("Plays", f"{found['plays']:,}")
    cols[1].metric("Minutes", fmt_minutes(found["minutes"]))
    cols[2].metric("First heard", f"{found['first_heard']:%d %b %Y}", help=f"{found['first_heard']:%H:%M} {zone}")
    cols[3].metric("Longest streak", f"{found['streak_days']} days", help=f"from {found['streak_start']:%d %b %Y}: days in a row with a listen ({zone})")
    st.caption(f"Last heard {found['last_heard']:%d %b %Y %H:%M} ({zone}). Top 200 of all time to pick from.")
    show_chart(charts.minutes_per_month(history.per_month(listens), "detail_minutes_per_month"))


# ---- page ------------------------------------------------------------------------------------------------------
def pick_listener_week(data: DashboardData, column: Any, weeks: Sequence[dt.date], listener_name: str) -> dt.date:
    """The week picker of the listening part. A week picked for one listener stays picked for the next; when the
    next listener has no such week the page says which week it shows instead (it once reset silently)."""
    wanted = st.session_state.get("picked_week")
    if wanted is not None and wanted not in weeks:
        fallback = opening_week(weeks)
        st.session_state["week"] = fallback
        st.info(f"{listener_name} has no {week_label(wanted).lower()} in the warehouse: showing the {week_label(fallback).lower()}.")
    elif "week" not in st.session_state or st.session_state["week"] not in weeks:
        st.session_state["week"] = opening_week(weeks)
    week = column.selectbox("Week", list(weeks), format_func=week_label, key="week")
    st.session_state["picked_week"] = week
    return week


def main() -> None:
    warehouse = open_warehouse()
    where, version = warehouse.describe(), warehouse.version()
    data = DashboardData(warehouse, query=lambda sql, params: run_query(warehouse, where, version, sql, tuple(params)))

    title, refresh = st.columns([5, 1])
    title.title("Your Spotify, week by week")
    title.caption(f"Data: {where}")
    if refresh.button("Refresh", help="Read the warehouse again (after a new `make run`)"):
        run_query.clear()

    query = lambda sql, params: run_query(warehouse, where, version, sql, tuple(params))  # noqa: E731
    try:
        playlists = data.playlists_state()
        listening = data.listening_state()
        # The listening-life views appear once the warehouse has a listening_history with listens.
        spans = history.span(query) if "listening_history" in data.relations and dashboard_sql_available() else None
    except WarehouseUnavailable as unavailable:
        st.warning(unavailable.message)
        st.info(unavailable.hint)
        return
    if spans is not None and not spans.empty:
        # With a listening history the page opens on it (the last complete week); the weekly plays charts and the
        # playlists are one click away.
        view = st.radio("View", (*LIFE_VIEWS, WEEK_VIEW), horizontal=True, key="view", label_visibility="collapsed")
        if view != WEEK_VIEW:
            known = data.listeners() if "listeners" in data.relations else pd.DataFrame()
            names = dict(zip(known.get("spotify_user_id", []), known.get("listener_name", [])))
            names.update({uid: uid for uid in spans["spotify_user_id"] if uid not in names})
            {"Listening life": listening_life, "Year in review": year_in_review, "Compare listeners": compare_listeners,
             "Track & artist": track_and_artist}[view](query, names, spans)
            return
    if playlists is not None and listening is not None:
        st.warning("Nothing to chart yet: the warehouse holds no playlists and no plays.")
        show_no_data(playlists)
        show_no_data(listening)
        return

    listener: str | None = None
    if listening is None:
        listeners = data.listeners()
        names = dict(zip(listeners["spotify_user_id"], listeners["listener_name"]))
        busiest = data.busiest_listener()
        start = list(names).index(busiest) if busiest in names else 0
        pick_listener, pick_week = st.columns(2)
        listener = pick_listener.selectbox("Listener", list(names), index=start, format_func=lambda uid: names[uid], key="listener")
        weeks = sorted(data.listening_time(listener)["week_start"], reverse=True)
        if weeks:
            week = pick_listener_week(data, pick_week, weeks, names[listener])
            listening_section(data, listener, names[listener], week)
        else:
            st.header("Listening")
            show_no_data(NoData(f"No listening weeks of {names[listener]} yet.", ""))
    else:
        st.header("Listening")
        show_no_data(listening)
    if playlists is None:
        # The picked listener's playlists; without listening data, those of the listener with the most playlists.
        playlists_section(data, data.chart_weeks(), listener if listener is not None else data.playlist_listener())
    else:
        st.header("Playlists")
        show_no_data(playlists)


main()
