"""Pure Python: the listening documents of a raw run -> records for plays, saved_tracks, followed_artists and
listener_profiles (plus the tracks, albums and artists they mention). Same record shape and rules as parse.py.

Raw documents (docs/data-contracts.md), one per listener, each with the listener's Spotify user id:

- ``plays/<user id>.json``: ``{"kind": "plays", "spotify_user_id", "listener_name", "display_name", "pages": [...]}``
  with the verbatim pages of GET /v1/me/player/recently-played (items ``{track, played_at, context}``).
- ``saved_tracks/<user id>.json``: ``{"kind": "saved_tracks", ..., "pages": [...]}``, verbatim /v1/me/tracks pages
  (offset paging; items ``{added_at, track}``).
- ``followed_artists/<user id>.json``: ``{"kind": "followed_artists", ..., "pages": [...]}``, verbatim answers of
  /v1/me/following?type=artist (``{"artists": {cursor page}}``; a bare cursor page is read too).

A play is identified by (listener, played_at): one without a readable played_at is rejected; one whose track is
absent is kept with item_type ``missing`` (the listener did play something then). A saved track or followed artist
without an id is rejected (its key would be null).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

from .parse import (
    Record,
    RunContext,
    artist_row,
    as_bool,
    as_id,
    as_int,
    as_str,
    dimension_rank,
    fact_rank,
    obj,
    object_status,
    page_entries,
    reject,
    timestamp_micros,
    track_entities,
)

LISTENING_TABLES = ("plays", "saved_tracks", "followed_artists", "listener_profiles")
# spotify:playlist:<id>, and the older spotify:user:<user>:playlist:<id>
_PLAYLIST_URI = re.compile(r"^spotify:(?:user:[^:]+:)?playlist:([^:]+)$")
_PLAYLIST_HREF = re.compile(r"/playlists/([^/?#]+)")


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


def profile_record(path: str, user_id: str, doc: Mapping[str, Any]) -> Record:
    row = {
        "spotify_user_id": user_id,
        "listener_name": as_str(doc.get("listener_name")),
        "display_name": as_str(doc.get("display_name")),
    }
    return "listener_profiles", dimension_rank(row, path, 0), row


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
    pages = doc.get("pages")
    problems: list[Record] = []
    if pages is None:
        pages = []
    if not isinstance(pages, list):
        problems.append(reject(ctx, path, "pages", "pages is not a list", pages))
        pages = []
    if unwrap:
        # /me/following answers {"artists": {...page...}}; keep a bare page as it is.
        pages = [obj(p).get(unwrap) if isinstance(obj(p).get(unwrap), dict) else p for p in pages]
    bad_pages, entries = page_entries(pages, "pages")
    problems.extend(reject(ctx, path, locator, "page has no items list", page) for locator, page in bad_pages)
    return problems, entries


def play_rows(ctx: RunContext, path: str, user_id: str, item: Any, seq: int, locator: str) -> Iterator[Record]:
    if not isinstance(item, dict):
        yield reject(ctx, path, locator, "play is not a JSON object", item)
        return
    played_at = timestamp_micros(item.get("played_at"))
    if played_at is None:
        yield reject(ctx, path, locator, f"play has no readable played_at ({item.get('played_at')!r})", item)
        return
    media = item.get("track")
    if media is not None and not isinstance(media, dict):
        yield reject(ctx, path, locator, f"play's track is a {type(media).__name__}, not an object", item)
        return
    media = media or {}
    try:
        media_id = as_id(media.get("id"))
    except ValueError as error:
        yield reject(ctx, path, locator, f"play: {error}", item)
        return
    media_type = (as_str(media.get("type")) or "track").lower()
    if not media:
        item_type = "missing"
    elif as_bool(media.get("is_local")):
        item_type = "local_track"
    else:
        item_type = media_type
    track_id = media_id if item_type == "track" else None
    context = obj(item.get("context"))
    context_type = as_str(context.get("type"))
    row = {
        "spotify_user_id": user_id,
        "played_at": played_at,
        "item_type": item_type,
        "track_id": track_id,
        "track_name": as_str(media.get("name")),
        "album_id": as_str(obj(media.get("album")).get("id")) if item_type == "track" else None,
        "duration_ms": as_int(media.get("duration_ms")),
        "context_type": context_type.lower() if context_type else None,
        "context_uri": as_str(context.get("uri")),
        "context_playlist_id": context_playlist_id(context),
    }
    yield "plays", fact_rank(path, seq), row
    if track_id is not None:
        yield from track_entities(media, path, seq)


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
        try:
            yield from play_rows(ctx, path, user, item, seq, locator)
        except Exception as error:  # a shape nobody foresaw: reject the play, keep the run going
            yield reject(ctx, path, locator, f"unexpected {type(error).__name__}: {error}", item)
    yield object_status(path, "parsed")


def parse_saved_tracks(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    user = _listener(ctx, path, doc, "saved_tracks")
    if not isinstance(user, str):
        yield from user
        return
    yield profile_record(path, user, doc)
    problems, entries = _pages(ctx, path, doc)
    yield from problems
    for locator, position, item in entries:
        try:
            if not isinstance(item, dict):
                yield reject(ctx, path, locator, "saved track is not a JSON object", item)
                continue
            track = item.get("track")
            if not isinstance(track, dict):
                yield reject(ctx, path, locator, "saved track has no track object", item)
                continue
            track_id = as_id(track.get("id"))
            if track_id is None:
                yield reject(ctx, path, locator, "saved track has no track id", item)
                continue
            row = {
                "spotify_user_id": user,
                "track_id": track_id,
                "added_at": timestamp_micros(item.get("added_at")),
                "position": position,
                "track_name": as_str(track.get("name")),
            }
            yield "saved_tracks", fact_rank(path, position), row
            yield from track_entities(track, path, position)
        except Exception as error:
            yield reject(ctx, path, locator, f"unexpected {type(error).__name__}: {error}", item)
    yield object_status(path, "parsed")


def parse_followed_artists(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    user = _listener(ctx, path, doc, "followed_artists")
    if not isinstance(user, str):
        yield from user
        return
    yield profile_record(path, user, doc)
    problems, entries = _pages(ctx, path, doc, unwrap="artists")
    yield from problems
    for locator, position, artist in entries:
        try:
            if not isinstance(artist, dict):
                yield reject(ctx, path, locator, "followed artist is not a JSON object", artist)
                continue
            row = artist_row(artist)
            if row is None:
                yield reject(ctx, path, locator, "followed artist has no id", artist)
                continue
            followed = {"spotify_user_id": user, "artist_id": row["artist_id"], "artist_name": row["artist_name"], "position": position}
            yield "followed_artists", fact_rank(path, position), followed
            yield "artists", dimension_rank(row, path, position), row
        except Exception as error:
            yield reject(ctx, path, locator, f"unexpected {type(error).__name__}: {error}", artist)
    yield object_status(path, "parsed")


LISTENING_PARSERS: dict[str, Callable[[RunContext, str, Mapping[str, Any]], Iterator[Record]]] = {
    "plays": parse_plays,
    "saved_tracks": parse_saved_tracks,
    "followed_artists": parse_followed_artists,
}
