"""Pure Python: the listening documents of a raw run -> records for plays, saved_tracks, followed_artists,
library_snapshots and listener_profiles (plus the tracks, albums and artists they mention). Same record shape and
rules as every parser (records.py).

Raw documents (docs/data-contracts.md), one per listener, each with the listener's Spotify user id:

- ``plays/<user id>.json``: ``{"kind": "plays", "spotify_user_id", "listener_name", "display_name", "pages": [...]}``
  with the verbatim pages of GET /v1/me/player/recently-played (items ``{track, played_at, context}``).
- ``saved_tracks/<user id>.json``: ``{"kind": "saved_tracks", ..., "pages": [...]}``, verbatim /v1/me/tracks pages
  (offset paging; items ``{added_at, track}``).
- ``followed_artists/<user id>.json``: ``{"kind": "followed_artists", ..., "pages": [...]}``, verbatim answers of
  /v1/me/following?type=artist (``{"artists": {cursor page}}``; a bare cursor page is read too).

A play is identified by (listener, played_at): one without a readable played_at is rejected; one whose track is
absent is kept with item_type ``missing`` (the listener did play something then). A saved track or followed artist
without an id is rejected (its key would be null). Every item is written whole (its row and the rows of the track,
album and artists it names) or rejected whole, with the reason.

A library document (saved tracks, followed artists) exists only when the extract read it to the end; each one whose
pages are all readable gives a library_snapshots row, so a library emptied completely is a snapshot with no rows,
and a listener whose document failed (none in the run) keeps their previous snapshot in the views.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from .records import (
    MAX_POSITION,
    ItemError,
    Record,
    RunContext,
    artist_row,
    dimension_rank,
    fact_rank,
    is_local_file,
    media_item_type,
    object_status,
    profile_record,
    reject,
    track_entities,
    whole_item,
)
from .values import as_id, as_int, as_str, obj, timestamp_micros

# spotify:playlist:<id>, and the older spotify:user:<user>:playlist:<id>
_PLAYLIST_URI = re.compile(r"^spotify:(?:user:[^:]+:)?playlist:([^:]+)$")
_PLAYLIST_HREF = re.compile(r"/playlists/([^/?#]+)")
_HREF_OFFSET = re.compile(r"[?&]offset=(\d+)")
# A played_at must name a time of day, not a date alone: a play is identified by its instant.
_DATE_TIME = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}[Tt ]\d{2}")


def _listener(ctx: RunContext, path: str, doc: Mapping[str, Any], kind: str) -> Iterator[Record] | str:
    """The document's listener id, or the records that reject the whole document when it has none."""
    try:
        user_id = as_id(doc.get("spotify_user_id"))
    except ValueError as error:
        user_id, problem = None, f"{kind} document: spotify_user_id: {error}"
    else:
        problem = f"{kind} document has no spotify_user_id: whose {kind.replace('_', ' ')} these are is unknown"
    if user_id is not None:
        return user_id
    return iter([reject(ctx, path, "spotify_user_id", problem, doc.get("spotify_user_id")), object_status(path, "rejected", "no listener id")])


def context_playlist_id(context: Mapping[str, Any]) -> str | None:
    if (as_str(context.get("type")) or "").lower() != "playlist":
        return None
    uri = as_str(context.get("uri"))
    match = _PLAYLIST_URI.match(uri) if uri else None
    if match:
        return match.group(1)
    href = as_str(context.get("href"))
    match = _PLAYLIST_HREF.search(href) if href else None
    return match.group(1) if match else None


def _pages(ctx: RunContext, path: str, doc: Mapping[str, Any], unwrap: str | None = None) -> tuple[list[Record], list[tuple[str, int, Any]]]:
    """(rejects of unusable pages, [(locator, position, item)]). A page's first item sits at its `offset`, else at
    the offset of the request that fetched it (`href`); cursor pages (no offset) continue where the last page ended.
    The tables key listening rows by what they are (a play's time, a track or artist id), not by position."""
    pages = doc.get("pages")
    problems: list[Record] = []
    if pages is None:
        pages = []
    if not isinstance(pages, list):
        problems.append(reject(ctx, path, "pages", "pages is not a list", pages))
        pages = []
    entries: list[tuple[str, int, Any]] = []
    running = 0
    for page_index, raw_page in enumerate(pages):
        page = obj(raw_page)
        if unwrap and isinstance(page.get(unwrap), dict):
            page = page[unwrap]  # /me/following answers {"artists": {...page...}}; a bare page is read as it is
        items = page.get("items")
        if not isinstance(items, list):
            problems.append(reject(ctx, path, f"pages[{page_index}]", "page has no items list", raw_page))
            continue
        offset = as_int(page.get("offset"), (0, 2**63 - 1))
        if offset is None and isinstance(page.get("href"), str):
            match = _HREF_OFFSET.search(page["href"])
            offset = int(match.group(1)) if match else None
        base = offset if offset is not None else running
        entries.extend((f"pages[{page_index}].items[{index}]", base + index, item) for index, item in enumerate(items))
        running = base + len(items)
    return problems, entries


def _played_at(value: Any) -> int:
    """A play's instant in UTC microseconds: an ISO 8601 date and time (with or without fractions, Z or any offset)."""
    problem = f"play has no readable played_at ({value!r})"
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ItemError(problem + ": a date and time of day is needed, e.g. 2026-11-25T17:40:00.123Z")
    try:
        micros = timestamp_micros(value)
    except (OverflowError, ValueError):
        micros = None
    if micros is None:
        raise ItemError(problem)
    return micros


def play_records(path: str, user_id: str, item: Any, seq: int) -> list[Record]:
    """One play -> its plays row and the rows of the track it names, all or none (ItemError)."""
    if not isinstance(item, dict):
        raise ItemError("play is not a JSON object")
    played_at = _played_at(item.get("played_at"))
    media = item.get("track")
    if media is not None and not isinstance(media, dict):
        raise ItemError(f"play's track is a {type(media).__name__}, not an object")
    media = media or {}
    try:
        media_id = as_id(media.get("id"))
        item_type = media_item_type(media, is_local_file(media))
        track_id = media_id if item_type == "track" else None
        context = obj(item.get("context"))
        context_type = as_str(context.get("type"))
        row = {
            "spotify_user_id": user_id,
            "played_at": played_at,
            "item_type": item_type,
            "track_id": track_id,
            "track_name": as_str(media.get("name")),
            "album_id": as_id(obj(media.get("album")).get("id")) if item_type == "track" else None,
            "duration_ms": as_int(media.get("duration_ms")),
            "context_type": context_type.lower() if context_type else None,
            "context_uri": as_str(context.get("uri")),
            "context_playlist_id": context_playlist_id(context),
        }
        records: list[Record] = [("plays", fact_rank(path, seq), row)]
        if track_id is not None:
            records.extend(track_entities(media, path, seq))
    except ValueError as error:
        raise ItemError(f"play: {error}") from error
    return records


def parse_plays(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    user = _listener(ctx, path, doc, "plays")
    if not isinstance(user, str):
        yield from user
        return
    yield profile_record(path, user, doc)
    problems, entries = _pages(ctx, path, doc)
    yield from problems
    # The same play may sit on two pages (a poll that also walked back from the newest plays): the table key
    # (spotify_user_id, played_at) keeps the first, so the rank is the order of reading.
    for seq, (locator, _position, item) in enumerate(entries):
        yield from whole_item(ctx, path, locator, item, lambda: play_records(path, user, item, seq))
    yield object_status(path, "parsed")


def library_snapshot(
    ctx: RunContext, path: str, user_id: str, library: str, doc: Mapping[str, Any], problems: list[Record], items: int,
    unwrap: str | None = None,
) -> Iterator[Record]:
    """The library_snapshots row of a library document whose every page is readable: the extract writes the document
    only once it has paged to the end, so this run is a snapshot of the listener's library however few rows it holds
    (none: everything was unsaved). A document with an unreadable page, or none at all, is no snapshot: the views keep
    the previous one (its readable items are still written, and the rejects say what was wrong)."""
    pages = doc.get("pages")
    if problems:
        return
    if not isinstance(pages, list) or not pages:
        # Spotify answers every read with at least one page, if only an empty one: a document without any was cut.
        yield reject(ctx, path, "pages", f"{library} document has no pages: it is not a complete snapshot of the library", pages)
        return
    first = obj(pages[0])
    if unwrap and isinstance(first.get(unwrap), dict):
        first = first[unwrap]
    row = {"spotify_user_id": user_id, "library": library, "items": items, "items_total": as_int(first.get("total"))}
    yield "library_snapshots", fact_rank(path, 0), row


def parse_saved_tracks(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    user = _listener(ctx, path, doc, "saved_tracks")
    if not isinstance(user, str):
        yield from user
        return
    yield profile_record(path, user, doc)
    problems, entries = _pages(ctx, path, doc)
    yield from problems
    for locator, position, item in entries:
        yield from whole_item(ctx, path, locator, item, lambda: saved_track_records(path, user, item, position))
    yield from library_snapshot(ctx, path, user, "saved_tracks", doc, problems, len(entries))
    yield object_status(path, "parsed")


def _check_position(position: int) -> None:
    if position > MAX_POSITION:  # the position column is 32-bit: such a row could not be written (the run would fail)
        raise ItemError(f"position {position} is beyond the largest position a library can have ({MAX_POSITION})")


def saved_track_records(path: str, user_id: str, item: Any, position: int) -> list[Record]:
    _check_position(position)
    if not isinstance(item, dict):
        raise ItemError("saved track is not a JSON object")
    track = item.get("track")
    if not isinstance(track, dict):
        raise ItemError("saved track has no track object")
    try:
        track_id = as_id(track.get("id"))
        if track_id is None:
            raise ItemError("saved track has no track id")
        media_type = (as_str(track.get("type")) or "track").lower()
        if media_type != "track":  # /me/tracks holds tracks: anything else has no place in saved_tracks or tracks
            raise ItemError(f"saved item is a {media_type}, not a track")
        row = {
            "spotify_user_id": user_id,
            "track_id": track_id,
            "added_at": timestamp_micros(item.get("added_at")),
            "position": position,
            "track_name": as_str(track.get("name")),
        }
        return [("saved_tracks", fact_rank(path, position), row), *track_entities(track, path, position)]
    except ItemError:
        raise
    except ValueError as error:
        raise ItemError(f"saved track: {error}") from error


def parse_followed_artists(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    user = _listener(ctx, path, doc, "followed_artists")
    if not isinstance(user, str):
        yield from user
        return
    yield profile_record(path, user, doc)
    problems, entries = _pages(ctx, path, doc, unwrap="artists")
    yield from problems
    for locator, position, artist in entries:
        yield from whole_item(ctx, path, locator, artist, lambda: followed_artist_records(path, user, artist, position))
    yield from library_snapshot(ctx, path, user, "followed_artists", doc, problems, len(entries), unwrap="artists")
    yield object_status(path, "parsed")


def followed_artist_records(path: str, user_id: str, artist: Any, position: int) -> list[Record]:
    _check_position(position)
    if not isinstance(artist, dict):
        raise ItemError("followed artist is not a JSON object")
    try:
        row = artist_row(artist)
    except ValueError as error:
        raise ItemError(f"followed artist: {error}") from error
    if row is None:
        raise ItemError("followed artist has no id")
    followed = {"spotify_user_id": user_id, "artist_id": row["artist_id"], "artist_name": row["artist_name"], "position": position}
    return [("followed_artists", fact_rank(path, position), followed), ("artists", dimension_rank(row, path, position), row)]
