"""Listening documents (plays, saved tracks, followed artists) -> records, and one listening run through Spark."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from glue_testing import Bucket
from spotify_transform.parse import parse_object
from spotify_transform.records import RunContext
from spotify_transform.parse_listening import context_playlist_id

RUN_ID = "20261125T180000Z-c0ffee"
EXTRACT_DATE = "2026-11-25"
SAM = "31qpxj4w7fakeusr2tz6klm3yb"
MIRA = "31mira5kl0vq2n8fakeusrx7hc"
T = dt.datetime


def track(track_id, name, album_id="alX", artists=(("arX", "Artist X"),), **extra):
    return {
        "id": track_id,
        "name": name,
        "type": "track",
        "duration_ms": 200_000,
        "album": {"id": album_id, "name": f"Album {album_id}", "release_date": "2020-02", "release_date_precision": "month"},
        "artists": [{"id": a, "name": n, "type": "artist"} for a, n in artists],
        **extra,
    }


def play(played_at, tr, context=None):
    return {"track": tr, "played_at": played_at, "context": context}


PLAYLIST_CTX = {"type": "playlist", "uri": "spotify:playlist:4rOoJ6Egrf8K2IrywzwOMk", "href": "https://api.spotify.com/v1/playlists/4rOoJ6Egrf8K2IrywzwOMk"}
ALBUM_CTX = {"type": "album", "uri": "spotify:album:alA", "href": "https://api.spotify.com/v1/albums/alA"}
COLLECTION_CTX = {"type": "collection", "uri": f"spotify:user:{SAM}:collection", "href": "https://api.spotify.com/v1/me/tracks"}

PLAYS_DOC = {
    "kind": "plays",
    "spotify_user_id": SAM,
    "account_id": "acct-sam",
    "listener_name": "sam",
    "display_name": "Sam Ple",
    "fetched_at": "2026-11-25T18:00:02.000Z",
    "pages": [
        {
            "items": [
                play("2026-11-25T17:40:00.123Z", track("trA", "Alpha", "alA", (("ar1", "One"), ("ar2", "Two"))), ALBUM_CTX),
                play("2026-11-25T17:35:10.000Z", track("trB", "Beta"), PLAYLIST_CTX),
                play("2026-11-25T17:30:00.000Z", track("trA", "Alpha", "alA", (("ar1", "One"), ("ar2", "Two"))), None),
            ],
            "cursors": {"after": "1764092400123", "before": "1764091800000"},
            "next": None,
            "limit": 3,
        },
        # A walk back from the newest plays: overlaps the first page by one play.
        {
            "items": [
                play("2026-11-25T17:30:00.000Z", track("trA", "Alpha", "alA", (("ar1", "One"), ("ar2", "Two"))), None),
                play("2026-11-25T17:20:00+00:00", track("trC", "Gamma", is_local=False), COLLECTION_CTX),
                play("2026-11-25T17:10:00.000Z", None, None),
                play("2026-11-25T17:05:00.000Z", {"id": None, "name": "Voice memo", "type": "track", "is_local": True, "uri": "spotify:local:a:b:c:61"}),
                play("not a time", track("trD", "Delta")),
                "garbage",
            ],
            "cursors": {"after": "1764092400000", "before": "1764090300000"},
            "next": None,
        },
    ],
}

SAVED_DOC = {
    "kind": "saved_tracks",
    "spotify_user_id": SAM,
    "account_id": "acct-sam",
    "listener_name": "sam",
    "pages": [
        {"items": [{"added_at": "2026-11-20T10:00:00Z", "track": track("trB", "Beta")}, {"added_at": "2026-11-19T09:00:00Z", "track": track("trE", "Epsilon")}], "offset": 0, "total": 4},
        {"items": [{"added_at": None, "track": track("trF", "Phi")}, {"added_at": "2026-01-01T00:00:00Z", "track": None}], "offset": 2, "total": 4},
    ],
}

FOLLOWED_DOC = {
    "kind": "followed_artists",
    "spotify_user_id": MIRA,
    "listener_name": "mira",
    "display_name": "Mira",
    "pages": [
        {"artists": {"items": [{"id": "ar1", "name": "One", "genres": ["indie pop"], "type": "artist"}, {"id": "ar7", "name": "Seven", "genres": []}], "cursors": {"after": "ar7"}, "total": 3}},
        {"items": [{"name": "no id"}, {"id": "ar9", "name": "Nine"}], "cursors": {"after": None}, "total": 3},
    ],
}

DOCS = {
    f"plays/{SAM}.json": PLAYS_DOC,
    f"saved_tracks/{SAM}.json": SAVED_DOC,
    f"followed_artists/{MIRA}.json": FOLLOWED_DOC,
}


def _ctx(docs: dict[str, bytes]) -> RunContext:
    base = f"raw/extract_date={EXTRACT_DATE}/run_id={RUN_ID}/"
    return RunContext(RUN_ID, EXTRACT_DATE, {p: {"key": base + p, "sha256": hashlib.sha256(d).hexdigest()} for p, d in docs.items()})


def _records(path: str, doc) -> list[tuple[str, dict]]:
    data = json.dumps(doc).encode()
    return [(tag, row) for tag, _, row in parse_object(_ctx({path: data}), "file:/bucket/" + path, data)]


def _micros(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1_000_000)


def test_plays_keep_every_play_once_per_page_with_context_and_reject_what_has_no_time():
    records = _records(f"plays/{SAM}.json", PLAYS_DOC)
    plays = [row for tag, row in records if tag == "plays"]
    assert [(p["played_at"], p["item_type"], p["track_id"], p["context_type"], p["context_playlist_id"]) for p in plays] == [
        (_micros("2026-11-25T17:40:00.123Z"), "track", "trA", "album", None),
        (_micros("2026-11-25T17:35:10Z"), "track", "trB", "playlist", "4rOoJ6Egrf8K2IrywzwOMk"),
        (_micros("2026-11-25T17:30:00Z"), "track", "trA", None, None),
        (_micros("2026-11-25T17:30:00Z"), "track", "trA", None, None),  # the overlap: Spark keeps one (key)
        (_micros("2026-11-25T17:20:00Z"), "track", "trC", "collection", None),
        (_micros("2026-11-25T17:10:00Z"), "missing", None, None, None),
        (_micros("2026-11-25T17:05:00Z"), "local_track", None, None, None),
    ]
    assert plays[0] == {
        "spotify_user_id": SAM,
        "played_at": _micros("2026-11-25T17:40:00.123Z"),
        "item_type": "track",
        "track_id": "trA",
        "track_name": "Alpha",
        "album_id": "alA",
        "duration_ms": 200_000,
        "context_type": "album",
        "context_uri": "spotify:album:alA",
        "context_playlist_id": None,
    }
    rejects = [row for tag, row in records if tag == "_reject"]
    assert [(r["locator"], r["reason"]) for r in rejects] == [
        ("pages[1].items[4]", "play has no readable played_at ('not a time'): a date and time of day is needed, e.g. 2026-11-25T17:40:00.123Z"),
        ("pages[1].items[5]", "play is not a JSON object"),
    ]
    assert [row for tag, row in records if tag == "listener_profiles"] == [
        {"spotify_user_id": SAM, "listener_name": "sam", "display_name": "Sam Ple", "account_id": "acct-sam"}
    ]
    assert {row["track_id"] for tag, row in records if tag == "tracks"} == {"trA", "trB", "trC"}
    assert {row["artist_id"] for tag, row in records if tag == "artists"} == {"ar1", "ar2", "arX"}
    assert records[-1] == ("_object", {"relative_path": f"plays/{SAM}.json", "status": "parsed", "reason": None})


@pytest.mark.parametrize(
    "context, expected",
    [
        ({"type": "playlist", "uri": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"}, "37i9dQZF1DXcBWIGoYBM5M"),
        ({"type": "playlist", "uri": "spotify:user:spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"}, "37i9dQZF1DXcBWIGoYBM5M"),
        ({"type": "PLAYLIST", "href": "https://api.spotify.com/v1/playlists/abc?si=1"}, "abc"),
        ({"type": "album", "uri": "spotify:album:x"}, None),
        ({}, None),
    ],
)
def test_context_playlist_id(context, expected):
    assert context_playlist_id(context) == expected


def test_a_listening_document_without_a_listener_is_rejected_whole():
    records = _records(f"plays/{SAM}.json", {**PLAYS_DOC, "spotify_user_id": None})
    assert [tag for tag, _ in records] == ["_reject", "_object"]
    assert records[0][1]["reason"] == "plays document has no spotify_user_id: whose plays these are is unknown"
    assert records[1][1] == {"relative_path": f"plays/{SAM}.json", "status": "rejected", "reason": "no listener id"}
    wrong = _records(f"saved_tracks/{SAM}.json", {**SAVED_DOC, "spotify_user_id": 42})
    assert wrong[0][1]["reason"].startswith("saved_tracks document: spotify_user_id: id is a int")


def test_saved_tracks_take_positions_from_page_offsets():
    records = _records(f"saved_tracks/{SAM}.json", SAVED_DOC)
    saved = [row for tag, row in records if tag == "saved_tracks"]
    assert [(r["track_id"], r["position"], r["added_at"]) for r in saved] == [
        ("trB", 0, _micros("2026-11-20T10:00:00Z")),
        ("trE", 1, _micros("2026-11-19T09:00:00Z")),
        ("trF", 2, None),
    ]
    assert [(r["locator"], r["reason"]) for tag, r in records if tag == "_reject"] == [("pages[1].items[1]", "saved track has no track object")]
    assert {row["album_id"] for tag, row in records if tag == "albums"} == {"alX"}


def test_followed_artists_read_wrapped_and_bare_cursor_pages():
    records = _records(f"followed_artists/{MIRA}.json", FOLLOWED_DOC)
    followed = [row for tag, row in records if tag == "followed_artists"]
    assert [(r["spotify_user_id"], r["artist_id"], r["artist_name"], r["position"]) for r in followed] == [
        (MIRA, "ar1", "One", 0),
        (MIRA, "ar7", "Seven", 1),
        (MIRA, "ar9", "Nine", 3),
    ]
    artists = {row["artist_id"]: row for tag, row in records if tag == "artists"}
    assert artists["ar1"]["genres"] == "indie pop" and artists["ar7"]["genres"] == ""
    assert [(r["locator"], r["reason"]) for tag, r in records if tag == "_reject"] == [("pages[1].items[0]", "followed artist has no id")]


def _write_run(root: Path) -> Bucket:
    bucket = Bucket(root, run_id=RUN_ID, extract_date=EXTRACT_DATE)
    objects = []
    for relative, doc in DOCS.items():
        data = json.dumps(doc).encode()
        target = bucket.run_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        objects.append({"key": f"raw/extract_date={EXTRACT_DATE}/run_id={RUN_ID}/{relative}", "kind": doc["kind"], "entity_id": doc["spotify_user_id"],
                        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "items": 0, "pages": len(doc["pages"])})
    manifest = {"manifest_version": 1, "run_id": RUN_ID, "extract_date": EXTRACT_DATE, "started_at": "2026-11-25T18:00:00.000Z",
                "finished_at": "2026-11-25T18:00:03.000Z", "status": "complete", "stopped_early": None, "objects": objects, "errors": []}
    (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest))
    return bucket


def test_a_listening_run_through_spark(spark, tmp_path):
    bucket = _write_run(tmp_path)
    result = bucket.transform(spark)
    counts = {name: t["rows"] for name, t in result["tables"].items()}
    assert {k: counts[k] for k in ("plays", "saved_tracks", "followed_artists", "library_snapshots", "listener_profiles", "playlist_tracks")} == {
        "plays": 6,  # 7 plays read, the one on both pages kept once
        "saved_tracks": 3,
        "followed_artists": 3,
        "library_snapshots": 2,  # Sam's saved tracks, Mira's follows
        "listener_profiles": 2,
        "playlist_tracks": 0,
    }
    assert result["rejects"] == 4  # 2 plays, 1 saved track, 1 followed artist
    plays = sorted(bucket.rows(spark, "plays"), key=lambda r: r["played_at"])
    # Timestamps are UTC wall times (the session runs in UTC), milliseconds kept.
    assert [p["played_at"] for p in plays][-1] == T(2026, 11, 25, 17, 40, 0, 123000)
    assert plays[-1]["run_id"] == RUN_ID and plays[-1]["extracted_at"] == T(2026, 11, 25, 18, 0, 0)
    profiles = sorted((r["spotify_user_id"], r["listener_name"], r["display_name"], r["account_id"]) for r in bucket.rows(spark, "listener_profiles"))
    # Mira's document is one from before the extract read account ids: it still transforms, with none.
    assert profiles == [(MIRA, "mira", "Mira", None), (SAM, "sam", "Sam Ple", "acct-sam")]
    # Tracks heard, saved or followed feed the dimensions like playlist tracks do.
    assert {r["track_id"] for r in bucket.rows(spark, "tracks")} == {"trA", "trB", "trC", "trE", "trF"}
    assert {(r["track_id"], r["artist_id"], r["spotify_user_id"]) for r in bucket.rows(spark, "track_artists") if r["track_id"] == "trA"} == {
        ("trA", "ar1", SAM),
        ("trA", "ar2", SAM),
    }
    assert {r["track_id"]: r["spotify_user_id"] for r in bucket.rows(spark, "tracks")}["trA"] == SAM
    assert {r["artist_id"] for r in bucket.rows(spark, "artists")} >= {"ar1", "ar7", "ar9"}


def test_an_item_is_written_whole_or_rejected_whole():
    bad_artist = track("trZ", "Zeta", artists=(("arOK", "Fine"),))
    bad_artist["artists"].append({"id": 7, "name": "not an id"})
    doc = {**PLAYS_DOC, "pages": [{"items": [play("2026-11-25T17:40:00Z", bad_artist), play("2026-11-25T17:41:00Z", track("trY", "Ypsilon"))]}]}
    records = _records(f"plays/{SAM}.json", doc)
    assert [row["track_id"] for tag, row in records if tag == "plays"] == ["trY"]
    assert "trZ" not in {row["track_id"] for tag, row in records if tag == "tracks"}
    assert "arOK" not in {row["artist_id"] for tag, row in records if tag == "artists"}
    assert [(r["locator"], r["reason"]) for tag, r in records if tag == "_reject"] == [("pages[0].items[0]", "play: id is a int, not a string: 7")]


def test_saved_track_positions_come_from_the_request_when_a_page_has_no_offset():
    doc = {**SAVED_DOC, "pages": [{"items": [{"added_at": None, "track": track("trQ", "Q")}], "href": "https://api.spotify.com/v1/me/tracks?offset=50&limit=50"}]}
    saved = [row for tag, row in _records(f"saved_tracks/{SAM}.json", doc) if tag == "saved_tracks"]
    assert [(r["track_id"], r["position"]) for r in saved] == [("trQ", 50)]


def test_every_row_says_whose_document_it_came_from_and_that_never_decides_which_row_wins():
    playlist = {
        "kind": "playlist", "playlist_id": "p", "spotify_user_id": "user9", "playlist": {"id": "p", "name": "P"},
        "item_pages": [{"offset": 0, "items": [{"item": track("trZ", "Zeta")}]}],
    }
    records = _records("playlists/p.json", playlist)
    readers = {tag: row.get("spotify_user_id") for tag, row in records if not tag.startswith("_")}
    # Whose the playlist is follows from the reader too (a manifest from before belongs_to): their row and profile.
    assert readers == {"playlist_snapshots": "user9", "playlist_tracks": "user9", "tracks": "user9", "albums": "user9", "artists": "user9",
                       "playlist_listeners": "user9", "listener_profiles": "user9"}
    # A document from before listeners (no spotify_user_id): null, and the same rank as a listener's row.
    older = _records("playlists/p.json", {k: v for k, v in playlist.items() if k != "spotify_user_id"})
    assert {row.get("spotify_user_id") for tag, row in older if tag == "tracks"} == {None}
    from spotify_transform.records import completeness

    assert completeness({"track_id": "t", "spotify_user_id": "user9"}) == completeness({"track_id": "t", "spotify_user_id": None}) == 1


def test_a_library_read_to_the_end_is_a_snapshot_even_when_empty():
    saved = [row for tag, row in _records(f"saved_tracks/{SAM}.json", SAVED_DOC) if tag == "library_snapshots"]
    assert saved == [{"spotify_user_id": SAM, "library": "saved_tracks", "items": 4, "items_total": 4}]
    followed = [row for tag, row in _records(f"followed_artists/{MIRA}.json", FOLLOWED_DOC) if tag == "library_snapshots"]
    assert followed == [{"spotify_user_id": MIRA, "library": "followed_artists", "items": 4, "items_total": 3}]
    # Everything unsaved: one empty page, and the run is still a snapshot (of nothing).
    empty = {**SAVED_DOC, "pages": [{"items": [], "offset": 0, "total": 0, "next": None}]}
    records = _records(f"saved_tracks/{SAM}.json", empty)
    assert [row for tag, row in records if tag == "library_snapshots"] == [{"spotify_user_id": SAM, "library": "saved_tracks", "items": 0, "items_total": 0}]
    assert [tag for tag, _ in records if tag in ("saved_tracks", "_reject")] == []
    # A plays document is no library snapshot.
    assert [row for tag, row in _records(f"plays/{SAM}.json", PLAYS_DOC) if tag == "library_snapshots"] == []


@pytest.mark.parametrize(
    "pages, reason",
    [
        (None, "saved_tracks document has no pages: it is not a complete snapshot of the library"),
        ([], "saved_tracks document has no pages: it is not a complete snapshot of the library"),
        ([{"items": [{"added_at": None, "track": track("trQ", "Q")}], "offset": 0}, {"error": "cut"}], "page has no items list"),
        ("nope", "pages is not a list"),
    ],
)
def test_a_library_document_with_an_unreadable_page_is_no_snapshot(pages, reason):
    records = _records(f"saved_tracks/{SAM}.json", {**SAVED_DOC, "pages": pages})
    assert [row for tag, row in records if tag == "library_snapshots"] == []
    assert [r["reason"] for tag, r in records if tag == "_reject"] == [reason]
