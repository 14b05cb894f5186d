"""Pure Python: one file of a listener's Spotify export (uploaded by `pipeline import`) -> rows of the streams table.
Same record shape and rules as every parser (records.py).

Two kinds of export, told apart by the file name (schemas/raw-documents.json, imports.documents.streams.files):

- Extended Streaming History (``Streaming_History_Audio_*.json``, older ``endsong_*.json``): a JSON array of streams
  ``{ts, ms_played, master_metadata_track_name, master_metadata_album_artist_name, master_metadata_album_album_name,
  spotify_track_uri, episode_name, episode_show_name, spotify_episode_uri, audiobook_title, audiobook_uri,
  reason_start, reason_end, shuffle, skipped, offline, incognito_mode, platform, conn_country, ip_addr, ...}``;
  ``ts`` is when the stream ended, UTC, to the second.
- Account data (``StreamingHistory_music_*.json``: ``{endTime, artistName, trackName, msPlayed}``;
  ``StreamingHistory_podcast_*.json``: ``{endTime, podcastName, episodeName, msPlayed}``); ``endTime`` is
  ``YYYY-MM-DD HH:MM``, UTC, to the minute.

The file itself is the raw document (it carries no ``kind``): its manifest entry names the kind and the listener.
Only the fields an analysis uses become columns; ``ip_addr`` (and the older ``username``, ``user_agent_decrypted``)
never leave raw/, not even in a rejected record's copy. A stream without a readable time or ms played is rejected
with the file and the reason; every other stream of the file is kept. A file that is not a JSON array is not an
export: rejected whole.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from .records import ItemError, Record, RunContext, fact_rank, object_status, reject
from .values import as_bool, as_int, as_str, timestamp_micros

# Fields that identify the person or their device: kept in raw/ (the user's own bucket), never copied further.
PRIVATE_FIELDS = frozenset({"ip_addr", "ip_addr_decrypted", "user_agent_decrypted", "username"})
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
_END_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$")
_TRACK_ID = re.compile(r"^[0-9A-Za-z]{22}$")
MAX_MS_PLAYED = 2**31 - 1


def export_kind_of(file_name: str) -> str:
    """account_data for Account data's StreamingHistory_* files, extended for Extended Streaming History."""
    return "account_data" if file_name.startswith("StreamingHistory_") else "extended"


def without_private_fields(stream: Any) -> Any:
    return {k: v for k, v in stream.items() if k not in PRIVATE_FIELDS} if isinstance(stream, dict) else stream


def _ended_at(stream: Mapping[str, Any], export_kind: str) -> int:
    if export_kind == "account_data":
        value = stream.get("endTime")
        match = _END_TIME.match(value) if isinstance(value, str) else None
        micros = timestamp_micros(f"{match.group(1)}T{match.group(2)}:00Z") if match else None
        if micros is None:
            raise ItemError(f"stream has no readable endTime ({value!r}): Account data gives 'YYYY-MM-DD HH:MM' (UTC)")
        return micros
    value = stream.get("ts")
    micros = timestamp_micros(value) if isinstance(value, str) and _TS.match(value.strip()) else None
    if micros is None:
        raise ItemError(f"stream has no readable ts ({value!r}): Extended Streaming History gives e.g. 2024-03-01T18:04:11Z")
    return micros


def _ms_played(stream: Mapping[str, Any], export_kind: str) -> int:
    field = "msPlayed" if export_kind == "account_data" else "ms_played"
    value = as_int(stream.get(field), (0, MAX_MS_PLAYED))
    if value is None:
        raise ItemError(f"stream has no readable {field} ({stream.get(field)!r}): a whole number of milliseconds is needed")
    return value


def _what(stream: Mapping[str, Any], export_kind: str, file_name: str) -> dict[str, Any]:
    """item_type, item_key, track_id and the names, from the URI when there is one, else from the names."""
    if export_kind == "account_data":
        if file_name.startswith("StreamingHistory_podcast_"):
            show, episode = as_str(stream.get("podcastName")), as_str(stream.get("episodeName"))
            return {"item_type": "episode", "item_key": _names_key(show, episode), "episode_name": episode, "show_name": show}
        artist, track = as_str(stream.get("artistName")), as_str(stream.get("trackName"))
        # Account data names what played but not whether it was a catalog track or a local file: a track.
        return {"item_type": "track" if track else "unknown", "item_key": _names_key(artist, track), "track_name": track, "artist_name": artist}
    track, artist = as_str(stream.get("master_metadata_track_name")), as_str(stream.get("master_metadata_album_artist_name"))
    names = {
        "track_name": track,
        "artist_name": artist,
        "album_name": as_str(stream.get("master_metadata_album_album_name")),
        "episode_name": as_str(stream.get("episode_name")),
        "show_name": as_str(stream.get("episode_show_name")),
        "audiobook_title": as_str(stream.get("audiobook_title")),
    }
    track_uri = as_str(stream.get("spotify_track_uri"))
    if track_uri and track_uri.startswith("spotify:local:"):
        return {**names, "item_type": "local_track", "item_key": track_uri}
    if track_uri:
        track_id = track_uri.rsplit(":", 1)[-1]
        return {**names, "item_type": "track", "item_key": track_uri, "track_id": track_id if _TRACK_ID.match(track_id) else None}
    for field, item_type in (("spotify_episode_uri", "episode"), ("audiobook_uri", "audiobook"), ("audiobook_chapter_uri", "audiobook")):
        uri = as_str(stream.get(field))
        if uri:
            return {**names, "item_type": item_type, "item_key": uri}
    if names["episode_name"] or names["show_name"]:
        return {**names, "item_type": "episode", "item_key": _names_key(names["show_name"], names["episode_name"])}
    if names["audiobook_title"]:
        return {**names, "item_type": "audiobook", "item_key": _names_key(None, names["audiobook_title"])}
    # A track name without a URI: a local file as the export records it.
    return {**names, "item_type": "local_track" if track else "unknown", "item_key": _names_key(artist, track)}


def _names_key(artist: str | None, title: str | None) -> str:
    return f"names:{artist or ''} - {title or ''}" if artist or title else "unknown"


def stream_row(stream: Any, listener: str, file_name: str, export_kind: str) -> dict[str, Any]:
    """One stream of an export -> its streams row (ItemError: rejected, with the reason)."""
    if not isinstance(stream, dict):
        raise ItemError(f"stream is a {type(stream).__name__}, not a JSON object")
    row = {
        "listener_name": listener,
        "ended_at": _ended_at(stream, export_kind),
        "ms_played": _ms_played(stream, export_kind),
        "item_type": "unknown",
        "item_key": "unknown",
        "track_id": None,
        "track_name": None,
        "artist_name": None,
        "album_name": None,
        "episode_name": None,
        "show_name": None,
        "audiobook_title": None,
        "reason_start": as_str(stream.get("reason_start")),
        "reason_end": as_str(stream.get("reason_end")),
        "shuffle": as_bool(stream.get("shuffle")),
        "skipped": as_bool(stream.get("skipped")),
        "offline": as_bool(stream.get("offline")),
        "incognito_mode": as_bool(stream.get("incognito_mode")),
        "platform": as_str(stream.get("platform")),
        "conn_country": as_str(stream.get("conn_country")),
        "export_kind": export_kind,
        "export_file": file_name,
    }
    row.update(_what(stream, export_kind, file_name))
    return row


def parse_streams(ctx: RunContext, path: str, doc: Any) -> Iterator[Record]:
    entry = ctx.manifest_objects.get(path, {})
    listener = entry.get("entity_id")
    file_name = path.split("/", 1)[-1]
    if not isinstance(listener, str) or not listener:
        yield reject(ctx, path, "$", "the import's manifest names no listener (entity_id) for this file: re-run pipeline import --listener NAME", None)
        yield object_status(path, "rejected", "no listener")
        return
    if not isinstance(doc, list):
        got = "an object" if isinstance(doc, dict) else type(doc).__name__
        yield reject(
            ctx, path, "$", f"{file_name} is not a Spotify streaming history export: expected a JSON array of streams, got {got}",
            None,
        )
        yield object_status(path, "rejected", "not an export")
        return
    export_kind = export_kind_of(file_name)
    for seq, stream in enumerate(doc):
        # A stream is one row or one reject (whole_item's rule, inlined: a million streams is a hot loop), and the
        # reject's copy leaves the private fields out.
        try:
            row = stream_row(stream, listener, file_name, export_kind)
        except ItemError as error:
            yield reject(ctx, path, f"[{seq}]", str(error), without_private_fields(stream))
            continue
        except Exception as error:  # a shape nobody foresaw rejects its stream, never the import
            yield reject(ctx, path, f"[{seq}]", f"unexpected {type(error).__name__}: {error}", without_private_fields(stream))
            continue
        yield "streams", fact_rank(path, seq), row
    yield object_status(path, "parsed")
