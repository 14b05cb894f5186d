"""Pure Python: one raw JSON document (docs/data-contracts.md) -> typed records for the processed tables.

Every function here is plain Python so that tests call it without Spark, and so that the executors parse each
raw file exactly once. Output records are tuples ``(tag, rank, row)``:

- ``tag``: a table name, or REJECT (a record the job could not parse, with the reason), or OBJECT (one per raw
  file: what happened to it).
- ``rank``: a sort key; when a table key occurs more than once in a run (the same track in three playlists), the
  row with the smallest rank wins. Dimension rows rank by completeness first (a full artist object from the top
  artists beats the id+name credit inside a track), then by file and position, so the choice is deterministic.
- ``row``: the row as a dict of plain values; dates as 'YYYY-MM-DD', timestamps as integer microseconds since the
  epoch (UTC), so that Spark reads them without any time zone or format guessing. transforms.py turns rows into
  Arrow columns typed per tables.json; no JSON text is made for them.

Spotify changes its responses under its users: every field beyond ids and names is optional here, values of an
unexpected type become null, and only a record whose identity cannot be read is rejected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Callable, Iterable, Iterator, Mapping

from .manifest import parse_utc_timestamp, relative_path_of_file, sha256_hex

REJECT = "_reject"
OBJECT = "_object"

# Tables whose rows are entities (one row per id per run); the partition-level dedup below applies to these.
DIMENSION_KEYS = {"tracks": "track_id", "albums": "album_id", "artists": "artist_id"}
# Field of a tracks row that carries its artist ids in credit order; track_artists is derived from the winning
# tracks row so that the bridge always agrees with the track it belongs to.
TRACK_ARTISTS_FIELD = "_artist_ids"

# (tag, rank, row): see the module docstring.
Record = tuple[str, str, dict[str, Any]]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
MAX_REJECT_RECORD_CHARS = 65_536
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_RELEASE_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class RunContext:
    """What every record of a run shares (plain attributes so that it pickles cheaply to executors)."""

    def __init__(self, run_id: str, extract_date: str, manifest_objects: Mapping[str, Mapping[str, Any]]):
        self.run_id = run_id
        self.extract_date = extract_date
        # relative path -> {"key": ..., "sha256": ..., "kind": ..., "entity_id": ...}
        self.manifest_objects = dict(manifest_objects)


# ---------------------------------------------------------------------------------------------- value coercion


def as_str(value: Any) -> str | None:
    """Strings as sent; numbers and booleans as text; objects/arrays as compact JSON (store what comes)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def as_int(value: Any, bounds: tuple[int, int] = INT32) -> int | None:
    """Integers (or integral floats / digit strings) within the column's range; anything else is null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            return None
        value = int(text)
    elif not isinstance(value, int):
        return None
    return value if bounds[0] <= value <= bounds[1] else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_id(value: Any) -> str | None:
    """A Spotify id: a non-empty string. Raises ValueError for a present id of another type (unreadable record)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    raise ValueError(f"id is a {type(value).__name__}, not a string: {value!r}")


def obj(value: Any) -> Mapping[str, Any]:
    """The value if it is a JSON object, else an empty one (a missing or re-shaped sub-object reads as absent)."""
    # json.loads makes every object a dict; isinstance against typing.Mapping costs ~10x more in this hot path.
    return value if isinstance(value, dict) else {}


def first_image_url(images: Any) -> str | None:
    if isinstance(images, list):
        for image in images:
            url = obj(image).get("url")
            if isinstance(url, str) and url:
                return url
    return None


def timestamp_micros(value: Any) -> int | None:
    parsed = parse_utc_timestamp(value)
    if parsed is None:
        return None
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def normalise_release_date(raw: Any) -> str | None:
    """'YYYY' -> YYYY-01-01, 'YYYY-MM' -> YYYY-MM-01, 'YYYY-MM-DD' as is; '0000', impossible dates, garbage -> None."""
    if not isinstance(raw, str):
        return None
    match = _RELEASE_DATE.match(raw.strip())
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:  # year 0 ("0000"), month 13, 31 February...
        return None


def genres_text(value: Any) -> str | None:
    """Genres as one comma-separated string: null when not sent, '' when Spotify sent an empty list."""
    if not isinstance(value, list):
        return None
    return ",".join(g for g in (as_str(v) for v in value) if g)


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


# ------------------------------------------------------------------------------------------ entity extraction


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


# ------------------------------------------------------------------------------------------------- paging


class ItemError(ValueError):
    """An item (a playlist entry, a top entry) that cannot be written whole: it is rejected whole, with this reason."""


# Codes of playlist_snapshots.paging_issues: what the pages of one playlist say about themselves.
CHANGED_WHILE_PAGING = "changed_while_paging"  # page totals or snapshot ids differ: the playlist was edited mid-way
OVERLAPPING_PAGES = "overlapping_pages"  # a position was given twice (the repeat is rejected)
POSITIONS_BEYOND_TOTAL = "positions_beyond_total"  # a position at or past the playlist's item count
MISSING_POSITIONS = "missing_positions"  # fewer positions than the playlist's item count
PAGING_ISSUE_ORDER = (CHANGED_WHILE_PAGING, OVERLAPPING_PAGES, POSITIONS_BEYOND_TOTAL, MISSING_POSITIONS)

MAX_POSITION = INT32[1]
_HREF_OFFSET = re.compile(r"[?&]offset=([^&#]*)")


def page_offset(page: Mapping[str, Any]) -> int:
    """The position of a page's first item: its own `offset`, else the offset of the request that fetched it
    (`href`, the request URL Spotify echoes; no offset parameter there means Spotify's default, 0). Never a count
    of the items that came before: a page that cannot say where it starts raises ItemError for its items."""
    raw = page.get("offset")
    source = "offset"
    if raw is None:
        href = page.get("href")
        if not isinstance(href, str):
            raise ItemError("items page has neither an offset nor an href with one: the position of its items cannot be known")
        match = _HREF_OFFSET.search(href)
        raw, source = (match.group(1) if match else 0), "href offset"
    value = as_int(raw, INT64)
    if value is None or value < 0:
        raise ItemError(f"items page {source} {raw!r} is not a non-negative whole number: the position of its items cannot be known")
    return value


class PageWalk:
    """Walks verbatim Spotify paging objects and places every item at the position its page says.

    `entries` yields (locator, position, item) for each item that has a position of its own; items that cannot be
    placed (their page has no offset, the position is out of range, or an earlier page already gave it) are
    collected in `rejected` as (locator, reason, item) instead. The walk also notes what the pages say about
    themselves (totals, snapshot ids) for `issues()`.
    """

    def __init__(self, pages: list[Any], field: str, what: str):
        self.pages = pages
        self.field = field
        self.what = what
        self.rejected: list[tuple[str, str, Any]] = []
        self.bad_pages: list[tuple[str, Any]] = []
        self.placed: dict[int, str] = {}
        self.totals: set[int] = set()
        self.snapshot_ids: set[str] = set()
        self.overlaps = 0

    def entries(self) -> Iterator[tuple[str, int, Any]]:
        for page_index, page in enumerate(self.pages):
            page_locator = f"{self.field}[{page_index}]"
            body = obj(page)
            items = body.get("items")
            total = as_int(body.get("total"), INT64)
            if total is not None:
                self.totals.add(total)
            snapshot_id = body.get("snapshot_id")
            if isinstance(snapshot_id, str):
                self.snapshot_ids.add(snapshot_id)
            if not isinstance(items, list):
                self.bad_pages.append((page_locator, page))
                continue
            try:
                offset: int | None = page_offset(body)
                problem = None
            except ItemError as error:
                offset, problem = None, str(error)
            for index, item in enumerate(items):
                locator = f"{page_locator}.items[{index}]"
                if offset is None:
                    self.rejected.append((locator, str(problem), item))
                    continue
                position = offset + index
                if position > MAX_POSITION:
                    self.rejected.append(
                        (locator, f"position {position} is beyond the largest position {self.what} can have ({MAX_POSITION})", item)
                    )
                    continue
                earlier = self.placed.get(position)
                if earlier is not None:
                    self.overlaps += 1
                    self.rejected.append(
                        (locator, f"position {position} was already given by {earlier}: the pages overlap (the list "
                         "changed while it was paged, or a page was fetched twice); the first is kept", item)
                    )
                    continue
                self.placed[position] = locator
                yield locator, position, item

    def issues(self, total: int | None, snapshot_id: str | None) -> str | None:
        """What the pages say about themselves, as a comma-separated set of codes (PAGING_ISSUE_ORDER); None when
        they agree with each other and with the list's own total."""
        found = set()
        totals = set(self.totals)
        if total is not None:
            totals.add(total)
        snapshots = set(self.snapshot_ids)
        if snapshots and snapshot_id is not None:
            snapshots.add(snapshot_id)
        if len(totals) > 1 or len(snapshots) > 1:
            found.add(CHANGED_WHILE_PAGING)
        if self.overlaps:
            found.add(OVERLAPPING_PAGES)
        expected = total if total is not None else (max(self.totals) if len(self.totals) == 1 else None)
        if expected is not None:
            if any(position >= expected for position in self.placed):
                found.add(POSITIONS_BEYOND_TOTAL)
            if len(self.placed) < expected:
                found.add(MISSING_POSITIONS)
        return ",".join(code for code in PAGING_ISSUE_ORDER if code in found) or None


def walked_records(
    ctx: RunContext, path: str, walk: PageWalk, records_of: Callable[[int, Any], list[Record]], page_kind: str
) -> Iterator[Record]:
    """Every entry a PageWalk places -> its records, all of them or one reject with the reason; then the entries
    the walk could not place and the pages without an items list, as rejects. A shape nobody foresaw rejects its
    entry and the run goes on."""
    for locator, position, entry in walk.entries():
        try:
            records = records_of(position, entry)
        except ItemError as error:
            yield reject(ctx, path, locator, str(error), entry)
            continue
        except Exception as error:
            yield reject(ctx, path, locator, f"unexpected {type(error).__name__}: {error}", entry)
            continue
        yield from records
    for locator, reason, entry in walk.rejected:
        yield reject(ctx, path, locator, reason, entry)
    for locator, page in walk.bad_pages:
        yield reject(ctx, path, locator, f"{page_kind} has no items list", page)


# ------------------------------------------------------------------------------------------------- playlists


def playlist_item_records(playlist_id: str, item: Any, position: int, path: str) -> list[Record]:
    """One playlist entry -> its playlist_tracks row and the entity rows of its track, all or none (ItemError)."""
    if not isinstance(item, dict):
        raise ItemError("playlist item is not a JSON object")
    # The current API carries the track under `item`; `track` is the deprecated alias.
    media = item.get("item") if item.get("item") is not None else item.get("track")
    if media is not None and not isinstance(media, dict):
        raise ItemError(f"playlist item's item/track is a {type(media).__name__}, not an object")
    media = media or {}
    try:
        media_id = as_id(media.get("id"))
        is_local = as_bool(item.get("is_local")) or as_bool(media.get("is_local")) or False
        media_type = as_str(media.get("type"))
        if not media:
            item_type = "missing"
        elif is_local:
            item_type = "local_track"
        elif media_type in (None, "track"):
            item_type = "track"
        else:
            item_type = media_type.lower()  # "episode", or a type Spotify adds later: kept as sent
        track_id = media_id if item_type == "track" else None
        row = {
            "playlist_id": playlist_id,
            "position": position,
            "item_type": item_type,
            "item_id": media_id,
            "item_name": as_str(media.get("name")),
            "track_id": track_id,
            "is_local": is_local,
            "added_at": timestamp_micros(item.get("added_at")),
            "added_by_id": as_str(obj(item.get("added_by")).get("id")),
        }
        records: list[Record] = [("playlist_tracks", fact_rank(path, position), row)]
        if track_id is not None:
            records.extend(track_entities(media, path, position))
    except ValueError as error:
        raise ItemError(f"playlist item: {error}") from error
    return records


def parse_playlist(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    playlist = doc.get("playlist")
    try:
        playlist_id = as_id(doc.get("playlist_id")) or as_id(obj(playlist).get("id"))
    except ValueError as error:
        yield reject(ctx, path, "playlist_id", f"playlist document: {error}", doc.get("playlist_id"))
        yield object_status(path, "rejected", "unreadable playlist id")
        return
    if playlist_id is None:
        yield reject(ctx, path, "$", "playlist document has neither playlist_id nor playlist.id", None)
        yield object_status(path, "rejected", "no playlist id")
        return

    pages = doc.get("item_pages")
    if pages is None:
        pages = []
    if not isinstance(pages, list):
        yield reject(ctx, path, "item_pages", "item_pages is not a list", pages)
        pages = []
    walk = PageWalk(pages, "item_pages", "a playlist")
    yield from walked_records(
        ctx, path, walk, lambda position, item: playlist_item_records(playlist_id, item, position, path), "items page"
    )

    # The snapshot row comes after the items: its paging_issues say what the pages said about themselves.
    if isinstance(playlist, dict):
        owner = obj(playlist.get("owner"))
        items_total = None
        for container in ("items", "tracks"):  # `tracks` is the deprecated name of the items summary
            items_total = as_int(obj(playlist.get(container)).get("total"))
            if items_total is not None:
                break
        snapshot_id = as_str(playlist.get("snapshot_id"))
        snapshot = {
            "playlist_id": playlist_id,
            "playlist_name": as_str(playlist.get("name")),
            "description": as_str(playlist.get("description")),
            "owner_id": as_str(owner.get("id")),
            "owner_display_name": as_str(owner.get("display_name")),
            "is_public": as_bool(playlist.get("public")),
            "is_collaborative": as_bool(playlist.get("collaborative")),
            "snapshot_id": snapshot_id,
            "followers_total": as_int(obj(playlist.get("followers")).get("total"), INT64),
            "items_total": items_total,
            "image_url": first_image_url(playlist.get("images")),
            "paging_issues": walk.issues(items_total, snapshot_id),
        }
        yield "playlist_snapshots", fact_rank(path, 0), snapshot
    else:
        yield reject(ctx, path, "playlist", "playlist metadata is missing or not an object", playlist)
    yield object_status(path, "parsed")


# ------------------------------------------------------------------------------------------------- top lists

TOP_ITEM_TYPES = {"tracks": "track", "artists": "artist"}


def top_item_records(item_type: str, time_range: str, entity: Any, rank: int, path: str) -> list[Record]:
    """One top-list entry -> its user_top_items row and its entity rows, all or none (ItemError)."""
    if rank > MAX_POSITION:  # the rank column is a 32-bit int
        raise ItemError(f"rank {rank} is beyond the largest rank a top list can have ({MAX_POSITION})")
    if not isinstance(entity, dict):
        raise ItemError(f"top {item_type} is not a JSON object")
    try:
        entity_id = as_id(entity.get("id"))
        if entity_id is None:
            raise ItemError(f"top {item_type} has no id")
        row = {
            "item_type": item_type,
            "time_range": time_range,
            "rank": rank,
            "item_id": entity_id,
            "item_name": as_str(entity.get("name")),
        }
        records: list[Record] = [("user_top_items", fact_rank(path, rank), row)]
        if item_type == "track":
            records.extend(track_entities(entity, path, rank))
        else:
            artist = artist_row(entity)
            records.append(("artists", dimension_rank(artist, path, rank), artist))  # type: ignore[arg-type]
    except ItemError:
        raise
    except ValueError as error:
        raise ItemError(f"top {item_type}: {error}") from error
    return records


def parse_top(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
    item_type = TOP_ITEM_TYPES.get(doc.get("item_type"))  # type: ignore[arg-type]
    time_range = as_str(doc.get("time_range"))
    if item_type is None or not time_range:
        yield reject(
            ctx, path, "$", f"top document needs item_type tracks|artists and a time_range; got "
            f"{doc.get('item_type')!r} / {doc.get('time_range')!r}", {k: doc.get(k) for k in ("kind", "item_type", "time_range")}
        )
        yield object_status(path, "rejected", "unknown top list")
        return
    pages = doc.get("pages")
    if not isinstance(pages, list):
        yield reject(ctx, path, "pages", "pages is not a list", pages)
        pages = []
    walk = PageWalk(pages, "pages", "a top list")
    yield from walked_records(
        ctx, path, walk, lambda position, entity: top_item_records(item_type, time_range, entity, position + 1, path), "top page"
    )
    yield object_status(path, "parsed")


# ---------------------------------------------------------------------------------------------- whole objects


def parse_object(ctx: RunContext, file_path: str, data: bytes) -> Iterator[Record]:
    """One raw file -> records. Unlisted files are skipped; a checksum mismatch rejects the whole object."""
    path = relative_path_of_file(file_path)
    entry = ctx.manifest_objects.get(path)
    if entry is None:
        # Not in the manifest: not part of this run (e.g. a stray upload); never processed.
        yield object_status(path, "unlisted")
        return
    actual = sha256_hex(data)
    if actual != entry["sha256"]:
        yield reject(
            ctx, path, "$", f"checksum mismatch: the manifest says sha256 {entry['sha256']}, the object hashes to "
            f"{actual}; the object changed or was corrupted after the extract wrote it: re-run the extract",
            None,
        )
        yield object_status(path, "rejected", "checksum mismatch")
        return
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        yield reject(ctx, path, "$", f"not valid UTF-8 JSON: {error}", data[:4096].decode("utf-8", "replace"))
        yield object_status(path, "rejected", "invalid JSON")
        return
    kind = obj(doc).get("kind")
    reader = obj(doc).get(READER_COLUMN)
    reader = reader if isinstance(reader, str) and reader else None
    if kind == "playlist":
        yield from with_reader(parse_playlist(ctx, path, doc), reader)
    elif kind == "top":
        yield from with_reader(parse_top(ctx, path, doc), reader)
        if reader is not None and "listener_name" in doc:
            # Each listener's top lists name them: a listener whose only data is top lists has a profile too.
            from .parse_listening import profile_record  # imported here: it builds on this module

            yield profile_record(path, reader, doc)
    else:
        from .parse_listening import LISTENING_PARSERS  # imported here: it builds on this module

        listening = LISTENING_PARSERS.get(kind)  # type: ignore[arg-type]
        if listening is not None:
            yield from with_reader(listening(ctx, path, doc), reader)
            return
        known = ", ".join(repr(k) for k in ("playlist", "top", *LISTENING_PARSERS))
        yield reject(ctx, path, "kind", f"unknown document kind {kind!r}; expected one of {known}", None)
        yield object_status(path, "rejected", "unknown kind")


def parse_partition(ctx: RunContext, files: Iterable[tuple[str, bytes]]) -> Iterator[Record]:
    """All files of one Spark partition -> records, with dimension rows already reduced to the best per id.

    Reducing here (a dict per partition) shrinks the rows that cross into the JVM: a popular track appears once
    per partition instead of once per playlist position. The global choice is made again in Spark.
    """
    best: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for file_path, data in files:
        for tag, rank, row in parse_object(ctx, file_path, bytes(data)):
            key_field = DIMENSION_KEYS.get(tag)
            if key_field is None:
                yield tag, rank, row
                continue
            current = best.get((tag, row[key_field]))
            if current is None or rank < current[0]:
                best[(tag, row[key_field])] = (rank, row)
    for (tag, _), (rank, row) in best.items():
        yield tag, rank, row
