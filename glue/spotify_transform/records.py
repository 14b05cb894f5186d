"""Pure Python: the records every parser emits, and the rows of the entities every kind of raw document names
(tracks, albums, artists, listener profiles). The parsers (parse_lists.py, parse_listening.py) build on this module;
parse.py dispatches each raw file to its parser.

A record is a tuple ``(tag, rank, row)``:

- ``tag``: a table name, or REJECT (a record the job could not parse, with the reason), or OBJECT (one per raw
  file: what happened to it).
- ``rank``: a sort key; when a table key occurs more than once in a run (the same track in three playlists), the
  row with the smallest rank wins. Dimension rows rank by completeness first (a full artist object from the top
  artists beats the id+name credit inside a track), then by file and position, so the choice is deterministic.
- ``row``: the row as a dict of plain values; dates as 'YYYY-MM-DD', timestamps as integer microseconds since the
  epoch (UTC), so that Spark reads them without any time zone or format guessing. transforms.py turns rows into
  Arrow columns typed per tables.json; no JSON text is made for them.

An item of a document (a playlist entry, a top entry, a play...) is written whole, its row and the rows of the
entities it names, or rejected whole with the reason (ItemError, whole_item).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from .values import INT32, INT64, as_bool, as_id, as_int, as_str, first_image_url, genres_text, normalise_release_date, obj

REJECT = "_reject"
OBJECT = "_object"

# Tables whose rows are entities (one row per id per run); the partition-level dedup in parse.py applies to these.
DIMENSION_KEYS = {"tracks": "track_id", "albums": "album_id", "artists": "artist_id"}
# Field of a tracks row that carries its artist ids in credit order; track_artists is derived from the winning
# tracks row so that the bridge always agrees with the track it belongs to.
TRACK_ARTISTS_FIELD = "_artist_ids"

# (tag, rank, row): see the module docstring.
Record = tuple[str, str, dict[str, Any]]

MAX_REJECT_RECORD_CHARS = 65_536
# The position and rank columns are 32-bit: an item placed beyond this could not be written (the run would fail).
MAX_POSITION = INT32[1]


class RunContext:
    """What every record of a run shares (plain attributes so that it pickles cheaply to executors)."""

    def __init__(self, run_id: str, extract_date: str, manifest_objects: Mapping[str, Mapping[str, Any]]):
        self.run_id = run_id
        self.extract_date = extract_date
        # relative path -> {"key": ..., "sha256": ..., "kind": ..., "entity_id": ...}
        self.manifest_objects = dict(manifest_objects)


class ItemError(ValueError):
    """An item (a playlist entry, a top entry, a play, a saved track...) that cannot be written whole: it is
    rejected whole, with this reason."""


# Every row says whose document it came from (the listener whose token read it; null in runs from before listeners).
READER_COLUMN = "spotify_user_id"
# Tables whose rows get the reader from the document (the listening tables carry it as their own key).
READER_TABLES = frozenset({"playlist_snapshots", "playlist_tracks", "tracks", "albums", "artists", "user_top_items"})


def completeness(row: Mapping[str, Any]) -> int:
    # Who read a row says nothing about how complete it is: it must not decide which row of an entity wins.
    return sum(1 for k, v in row.items() if v is not None and not k.startswith("_") and k != READER_COLUMN)


def with_reader(records: Iterable[Record], reader: str | None) -> Iterator[Record]:
    """Stamps the document's reader on the rows of the tables that carry it (a row that names its own keeps it)."""
    for record in records:
        tag, _, row = record
        if tag in READER_TABLES:
            row.setdefault(READER_COLUMN, reader)
        yield record


def dimension_rank(row: Mapping[str, Any], path: str, seq: int) -> str:
    return f"{99 - completeness(row):02d}|{path}|{seq:09d}"


def fact_rank(path: str, seq: int) -> str:
    return f"{path}|{seq:09d}"


def document_reader(doc: Any) -> str | None:
    """The listener whose token read the document (its spotify_user_id), when it names one."""
    reader = obj(doc).get(READER_COLUMN)
    return reader if isinstance(reader, str) and reader else None


# ------------------------------------------------------------------------------------------ entity rows


def is_local_file(media: Mapping[str, Any], *flags: Any) -> bool:
    """A local file has no Spotify id; is_local says so (on the item or the track: `flags` are the item's), and its uri
    (spotify:local:...) says so when is_local is absent."""
    if any(as_bool(flag) for flag in (*flags, media.get("is_local"))):
        return True
    return media.get("id") is None and (as_str(media.get("uri")) or "").startswith("spotify:local:")


def media_item_type(media: Mapping[str, Any], local: bool) -> str:
    """What a playlist entry or a play holds: missing (null), local_track, track, or the type Spotify sent
    ("episode", or a type Spotify adds later: kept as sent)."""
    if not media:
        return "missing"
    if local:
        return "local_track"
    return (as_str(media.get("type")) or "track").lower()


def artist_row(artist: Mapping[str, Any]) -> dict[str, Any] | None:
    artist_id = as_id(artist.get("id"))
    if artist_id is None:
        return None
    return {
        "artist_id": artist_id,
        "artist_name": as_str(artist.get("name")),
        "genres": genres_text(artist.get("genres")),
        "followers_total": as_int(obj(artist.get("followers")).get("total"), INT64),
        "popularity": as_int(artist.get("popularity")),
        "uri": as_str(artist.get("uri")),
    }


def album_row(album: Mapping[str, Any]) -> dict[str, Any] | None:
    album_id = as_id(album.get("id"))
    if album_id is None:
        return None
    raw_date = album.get("release_date")
    return {
        "album_id": album_id,
        "album_name": as_str(album.get("name")),
        "album_type": as_str(album.get("album_type")),
        "release_date": normalise_release_date(raw_date),
        "release_date_precision": as_str(album.get("release_date_precision")),
        "release_date_raw": as_str(raw_date),
        "total_tracks": as_int(album.get("total_tracks")),
        "label": as_str(album.get("label")),
        "upc": as_str(obj(album.get("external_ids")).get("upc")),
        "uri": as_str(album.get("uri")),
        "image_url": first_image_url(album.get("images")),
    }


def track_entities(track: Mapping[str, Any], path: str, seq: int) -> Iterator[Record]:
    """A catalog track -> its tracks row (carrying artist ids for the bridge), album row and artist rows."""
    track_id = as_id(track.get("id"))
    if track_id is None:
        return
    album = obj(track.get("album"))
    album_id = as_id(album.get("id"))
    artist_ids: list[str] = []
    artist_rows = []
    artists = track.get("artists")
    for index, artist in enumerate(artists if isinstance(artists, list) else []):
        row = artist_row(obj(artist))
        if row is None:
            continue
        if row["artist_id"] not in artist_ids:
            # The index in Spotify's list is the credit order; a credit without an id leaves its slot unused.
            artist_ids.append(row["artist_id"])
            artist_rows.append((index, row))
    track_row = {
        "track_id": track_id,
        "track_name": as_str(track.get("name")),
        "album_id": album_id,
        "duration_ms": as_int(track.get("duration_ms")),
        "explicit": as_bool(track.get("explicit")),
        "popularity": as_int(track.get("popularity")),
        "track_number": as_int(track.get("track_number")),
        "disc_number": as_int(track.get("disc_number")),
        "isrc": as_str(obj(track.get("external_ids")).get("isrc")),
        "uri": as_str(track.get("uri")),
    }
    track_row[TRACK_ARTISTS_FIELD] = [{"artist_id": row["artist_id"], "artist_position": i} for i, row in artist_rows]
    yield "tracks", dimension_rank(track_row, path, seq), track_row
    if album_id is not None:
        row = album_row(album)
        yield "albums", dimension_rank(row, path, seq), row
    for _, row in artist_rows:
        yield "artists", dimension_rank(row, path, seq), row


def profile_record(path: str, user_id: str, doc: Mapping[str, Any]) -> Record:
    # account_id: the immutable id (documents written before the extract read it have none: null).
    row = {
        "spotify_user_id": user_id,
        "account_id": as_str(doc.get("account_id")),
        "listener_name": as_str(doc.get("listener_name")),
        "display_name": as_str(doc.get("display_name")),
    }
    return "listener_profiles", dimension_rank(row, path, 0), row


# --------------------------------------------------------------------------------------------------- rejects


def reject(ctx: RunContext, path: str, locator: str, reason: str, record: Any) -> Record:
    key = ctx.manifest_objects.get(path, {}).get("key", path)
    text = record if isinstance(record, str) else as_str(record)
    if text is not None and len(text) > MAX_REJECT_RECORD_CHARS:
        text = text[:MAX_REJECT_RECORD_CHARS] + f"...[truncated, {len(text)} chars]"
    payload = {
        "run_id": ctx.run_id,
        "extract_date": ctx.extract_date,
        "object_key": key,
        "locator": locator,
        "reason": reason,
        "record": text,
    }
    return REJECT, f"{path}|{locator}", payload


def object_status(path: str, status: str, reason: str | None = None) -> Record:
    return OBJECT, path, {"relative_path": path, "status": status, "reason": reason}


def whole_item(ctx: RunContext, path: str, locator: str, item: Any, build: Callable[[], Sequence[Record]]) -> Iterator[Record]:
    """The item's records, all of them, or one reject with the reason. A shape nobody foresaw rejects its item and
    the run goes on."""
    try:
        records = build()
    except ItemError as error:
        yield reject(ctx, path, locator, str(error), item)
        return
    except Exception as error:
        yield reject(ctx, path, locator, f"unexpected {type(error).__name__}: {error}", item)
        return
    yield from records
