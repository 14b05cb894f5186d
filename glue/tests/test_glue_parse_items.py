"""Items are written whole or rejected whole, and positions come from the pages themselves (the pure parser, no
Spark). Each case here was once a silent loss or a wrong row: see issue 10."""

from __future__ import annotations

import hashlib
import json

from spotify_transform.parse import parse_object
from spotify_transform.records import REJECT, RunContext

PLAYLIST = "playlists/p.json"


def _records(doc, path=PLAYLIST):
    data = json.dumps(doc).encode()
    key = f"raw/extract_date=2026-11-25/run_id=20261125T060000Z-a1b2c3/{path}"
    ctx = RunContext("20261125T060000Z-a1b2c3", "2026-11-25", {path: {"key": key, "sha256": hashlib.sha256(data).hexdigest()}})
    return [(tag, row) for tag, _, row in parse_object(ctx, "file:/x/" + path, data)]


def _rows(records, tag):
    return [row for t, row in records if t == tag]


def _track(track_id, **extra):
    return {"type": "track", "id": track_id, "name": track_id.upper(), "album": {"id": f"al-{track_id}"},
            "artists": [{"id": f"ar-{track_id}", "name": "A"}], **extra}


def _page(offset, items, total, href_offset=None, **extra):
    page = {"items": [{"item": item} if isinstance(item, dict) else item for item in items], "total": total, "limit": 50, **extra}
    if offset is not None:
        page["offset"] = offset
    if href_offset is not None:
        page["href"] = f"https://api.spotify.com/v1/playlists/p/items?offset={href_offset}&limit=50"
    return page


def _playlist(pages, total=None, snapshot="s1"):
    meta = {"id": "p", "name": "P", "snapshot_id": snapshot}
    if total is not None:
        meta["items"] = {"total": total}
    return {"kind": "playlist", "playlist_id": "p", "playlist": meta, "item_pages": pages}


def test_an_item_whose_artist_cannot_be_read_is_rejected_whole():
    bad_artist = _track("t1", artists=[{"id": 42, "name": "Numeric id"}])
    records = _records(_playlist([_page(0, [bad_artist, _track("t2")], 2)], total=2))

    assert [r["position"] for r in _rows(records, "playlist_tracks")] == [1]
    assert [r["track_id"] for r in _rows(records, "tracks")] == ["t2"]
    assert [r["album_id"] for r in _rows(records, "albums")] == ["al-t2"]
    assert [r["artist_id"] for r in _rows(records, "artists")] == ["ar-t2"]
    (rejected,) = _rows(records, REJECT)
    assert rejected["locator"] == "item_pages[0].items[0]"
    assert rejected["reason"] == "playlist item: id is a int, not a string: 42"


def test_an_item_whose_album_cannot_be_read_is_rejected_whole():
    bad_album = _track("t1", album={"id": ["al"]})
    records = _records(_playlist([_page(0, [bad_album], 1)], total=1))
    assert _rows(records, "playlist_tracks") == [] and _rows(records, "tracks") == [] and _rows(records, "artists") == []
    assert [r["locator"] for r in _rows(records, REJECT)] == ["item_pages[0].items[0]"]


def test_a_top_track_whose_artist_cannot_be_read_is_rejected_whole():
    doc = {"kind": "top", "item_type": "tracks", "time_range": "short_term",
           "pages": [{"offset": 0, "total": 2, "items": [_track("t1", artists=[{"id": {"x": 1}}]), _track("t2")]}]}
    records = _records(doc, "top/tracks_short_term.json")
    assert [(r["rank"], r["item_id"]) for r in _rows(records, "user_top_items")] == [(2, "t2")]
    assert [r["track_id"] for r in _rows(records, "tracks")] == ["t2"]
    assert [r["locator"] for r in _rows(records, REJECT)] == ["pages[0].items[0]"]


def test_overlapping_pages_keep_the_first_item_of_a_position_and_reject_the_repeat():
    pages = [_page(0, [_track("a"), _track("b"), _track("c")], 4), _page(2, [_track("x"), _track("d")], 4)]
    records = _records(_playlist(pages, total=4))

    assert [(r["position"], r["track_id"]) for r in _rows(records, "playlist_tracks")] == [(0, "a"), (1, "b"), (2, "c"), (3, "d")]
    assert "x" not in [r["track_id"] for r in _rows(records, "tracks")]  # the rejected repeat brings no entities
    (rejected,) = _rows(records, REJECT)
    assert rejected["locator"] == "item_pages[1].items[0]"
    assert rejected["reason"].startswith("position 2 was already given by item_pages[0].items[2]: the pages overlap")
    (snapshot,) = _rows(records, "playlist_snapshots")
    assert snapshot["paging_issues"] == "overlapping_pages"


def test_a_playlist_edited_between_pages_is_flagged():
    # An item was inserted at the top after the first page: "c" comes again at position 3 and there are
    # more rows than the playlist said it had.
    pages = [_page(0, [_track("a"), _track("b"), _track("c")], 5), _page(3, [_track("c"), _track("d"), _track("e")], 6)]
    records = _records(_playlist(pages, total=5))
    assert len(_rows(records, "playlist_tracks")) == 6
    (snapshot,) = _rows(records, "playlist_snapshots")
    assert snapshot["items_total"] == 5
    assert snapshot["paging_issues"] == "changed_while_paging,positions_beyond_total"


def test_a_page_snapshot_id_that_differs_flags_the_playlist():
    pages = [_page(0, [_track("a")], 2, snapshot_id="s1"), _page(1, [_track("b")], 2, snapshot_id="s2")]
    (snapshot,) = _rows(_records(_playlist(pages, total=2, snapshot="s1")), "playlist_snapshots")
    assert snapshot["paging_issues"] == "changed_while_paging"


def test_consistent_pages_are_not_flagged():
    pages = [_page(0, [_track("a"), _track("b")], 3), _page(2, [_track("c")], 3)]
    (snapshot,) = _rows(_records(_playlist(pages, total=3)), "playlist_snapshots")
    assert snapshot["paging_issues"] is None


def test_a_page_without_offset_takes_its_position_from_its_href_not_from_counting():
    # The middle page came back without items; the last page has no offset field but its request did.
    pages = [_page(0, [_track("a"), _track("b")], 6), {"items": None, "total": 6, "offset": 2},
             _page(None, [_track("e"), _track("f")], 6, href_offset=4)]
    records = _records(_playlist(pages, total=6))
    assert [(r["position"], r["track_id"]) for r in _rows(records, "playlist_tracks")] == [(0, "a"), (1, "b"), (4, "e"), (5, "f")]
    assert [r["reason"] for r in _rows(records, REJECT)] == ["items page has no items list"]
    (snapshot,) = _rows(records, "playlist_snapshots")
    assert snapshot["paging_issues"] == "missing_positions"


def test_an_href_without_offset_means_offset_0_as_in_spotify():
    page = _page(None, [_track("a")], 1)
    page["href"] = "https://api.spotify.com/v1/playlists/p/items?limit=50"
    assert [r["position"] for r in _rows(_records(_playlist([page], total=1)), "playlist_tracks")] == [0]


def test_a_page_with_neither_offset_nor_href_rejects_its_items_with_the_reason():
    pages = [_page(0, [_track("a")], 3), {"items": [{"item": _track("b")}, {"item": _track("c")}], "total": 3}]
    records = _records(_playlist(pages, total=3))
    assert [r["position"] for r in _rows(records, "playlist_tracks")] == [0]
    rejects = _rows(records, REJECT)
    assert [r["locator"] for r in rejects] == ["item_pages[1].items[0]", "item_pages[1].items[1]"]
    assert rejects[0]["reason"] == "items page has neither an offset nor an href with one: the position of its items cannot be known"


def test_a_position_beyond_the_int_range_rejects_that_item_only():
    pages = [_page(0, [_track("a")], 2), _page(2147483647, [_track("b"), _track("c")], 2)]
    records = _records(_playlist(pages, total=2))
    assert [(r["position"], r["track_id"]) for r in _rows(records, "playlist_tracks")] == [(0, "a"), (2147483647, "b")]
    (rejected,) = _rows(records, REJECT)
    assert rejected["locator"] == "item_pages[1].items[1]"
    assert rejected["reason"] == "position 2147483648 is beyond the largest position a playlist can have (2147483647)"


def test_a_negative_or_non_numeric_offset_rejects_the_page_items():
    pages = [_page(-3, [_track("a")], 1), _page("soon", [_track("b")], 1)]
    rejects = _rows(_records(_playlist(pages, total=1)), REJECT)
    assert [r["reason"] for r in rejects] == [
        "items page offset -3 is not a non-negative whole number: the position of its items cannot be known",
        "items page offset 'soon' is not a non-negative whole number: the position of its items cannot be known",
    ]


def test_top_ranks_come_from_the_page_offset():
    doc = {"kind": "top", "item_type": "artists", "time_range": "long_term",
           "pages": [{"offset": 50, "total": 52, "items": [{"id": "r51"}, {"id": "r52"}]},
                     {"offset": 0, "total": 52, "items": [{"id": "r1"}]}]}
    rows = _rows(_records(doc, "top/artists_long_term.json"), "user_top_items")
    assert sorted((r["rank"], r["item_id"]) for r in rows) == [(1, "r1"), (51, "r51"), (52, "r52")]


def test_a_repeated_top_rank_is_rejected():
    doc = {"kind": "top", "item_type": "artists", "time_range": "long_term",
           "pages": [{"offset": 0, "total": 2, "items": [{"id": "r1"}, {"id": "r2"}]},
                     {"offset": 1, "total": 2, "items": [{"id": "r2"}]}]}
    records = _records(doc, "top/artists_long_term.json")
    assert [(r["rank"], r["item_id"]) for r in _rows(records, "user_top_items")] == [(1, "r1"), (2, "r2")]
    assert [r["locator"] for r in _rows(records, REJECT)] == ["pages[1].items[0]"]


def test_a_listeners_top_list_carries_their_id_and_names_them_in_listener_profiles():
    doc = {"kind": "top", "item_type": "tracks", "time_range": "short_term", "spotify_user_id": "u-mira", "account_id": "acct-mira",
           "listener_name": "mira", "display_name": "Mira", "pages": [{"offset": 0, "total": 1, "items": [_track("t1")]}]}
    records = _records(doc, "top/tracks_short_term.u-mira.json")
    assert [(r["spotify_user_id"], r["rank"], r["item_id"]) for r in _rows(records, "user_top_items")] == [("u-mira", 1, "t1")]
    assert _rows(records, "listener_profiles") == [{"spotify_user_id": "u-mira", "listener_name": "mira", "display_name": "Mira", "account_id": "acct-mira"}]


def test_a_top_list_from_before_listeners_has_no_listener():
    doc = {"kind": "top", "item_type": "tracks", "time_range": "short_term", "pages": [{"offset": 0, "total": 1, "items": [_track("t1")]}]}
    records = _records(doc, "top/tracks_short_term.json")
    assert [r["spotify_user_id"] for r in _rows(records, "user_top_items")] == [None]
    assert _rows(records, "listener_profiles") == []


def test_a_local_file_known_only_by_its_uri_is_a_local_track_in_a_playlist_as_in_plays():
    # Spotify may leave is_local out; a spotify:local: uri without an id is still a local file, not a track.
    local = {"type": "track", "id": None, "uri": "spotify:local:Artist:Album:Song:215", "name": "Song"}
    records = _records(_playlist([_page(0, [local, _track("t2")], 2)], total=2))

    rows = _rows(records, "playlist_tracks")
    assert [(r["position"], r["item_type"], r["track_id"]) for r in rows] == [(0, "local_track", None), (1, "track", "t2")]
    assert [r["track_id"] for r in _rows(records, "tracks")] == ["t2"]
