"""Pure Python: the positioned lists of a raw run, playlists and top lists -> records for playlist_snapshots,
playlist_tracks, playlist_listeners and user_top_items (plus the tracks, albums, artists and listeners they name).
Record shape and rules: records.py.

Raw documents (docs/data-contracts.md; keys in schemas/raw-documents.json):

- ``playlists/<playlist id>.json``: ``{"kind": "playlist", "playlist_id", "playlist": {...}, "item_pages": [...]}``,
  the playlist's metadata and the verbatim pages of GET /v1/playlists/{id}/items.
- ``top/<type>_<range>.<user id>.json``: ``{"kind": "top", "item_type", "time_range", "pages": [...]}``, the
  verbatim pages of GET /v1/me/top/{type}.

Every entry sits at the position its page says (PageWalk), never at a count of the entries before it.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

from .records import (
    MAX_POSITION,
    ItemError,
    Record,
    RunContext,
    artist_row,
    dimension_rank,
    document_reader,
    fact_rank,
    is_local_file,
    media_item_type,
    object_status,
    profile_record,
    reject,
    track_entities,
    whole_item,
)
from .values import INT64, as_bool, as_id, as_int, as_str, first_image_url, obj, timestamp_micros

# Codes of playlist_snapshots.paging_issues: what the pages of one playlist say about themselves.
CHANGED_WHILE_PAGING = "changed_while_paging"  # page totals or snapshot ids differ: the playlist was edited mid-way
OVERLAPPING_PAGES = "overlapping_pages"  # a position was given twice (the repeat is rejected)
POSITIONS_BEYOND_TOTAL = "positions_beyond_total"  # a position at or past the playlist's item count
MISSING_POSITIONS = "missing_positions"  # fewer positions than the playlist's item count
PAGING_ISSUE_ORDER = (CHANGED_WHILE_PAGING, OVERLAPPING_PAGES, POSITIONS_BEYOND_TOTAL, MISSING_POSITIONS)

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
        yield from whole_item(ctx, path, locator, entry, lambda: records_of(position, entry))
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
        is_local = is_local_file(media, item.get("is_local")) if media else bool(as_bool(item.get("is_local")))
        item_type = media_item_type(media, is_local)
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
    yield from playlist_listener_records(ctx, path, doc, playlist_id)
    yield object_status(path, "parsed")


def playlist_listener_records(ctx: RunContext, path: str, doc: Mapping[str, Any], playlist_id: str) -> Iterator[Record]:
    """Whose playlist it is in this run: a playlist_listeners row (and a listener_profiles row, so a listener whose
    only data is playlists is a listener too) per listener it belongs to. The manifest entry says who (belongs_to:
    the run's own answer, also for an object reused from an earlier run); a manifest from before playlists were read
    per listener does not, and then the document's reader is its one listener, by what the playlist says of them."""
    members = ctx.manifest_objects.get(path, {}).get("belongs_to")
    if members is None:
        reader = document_reader(doc)
        if reader is None:
            return  # an app token's read, or a run from before listeners: nobody's in particular
        playlist = obj(doc.get("playlist"))
        owner = as_str(obj(playlist.get("owner")).get("id"))
        role = "owner" if owner == reader else "collaborator" if as_bool(playlist.get("collaborative")) else "reader"
        members = ({"listener": None, "spotify_user_id": reader, "role": role},)
    for seq, member in enumerate(members):
        row = {"playlist_id": playlist_id, "spotify_user_id": member["spotify_user_id"], "listener_name": member["listener"], "role": member["role"]}
        yield "playlist_listeners", fact_rank(path, seq), row
        yield profile_record(path, member["spotify_user_id"], {"listener_name": member["listener"]})


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
    yield from _top_list(ctx, path, doc)
    reader = document_reader(doc)
    if reader is not None and "listener_name" in doc:
        # Each listener's top lists name them: a listener whose only data is top lists has a profile too.
        yield profile_record(path, reader, doc)


def _top_list(ctx: RunContext, path: str, doc: Mapping[str, Any]) -> Iterator[Record]:
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
