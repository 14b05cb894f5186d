"""Listening documents in the shapes the real API sends (Spotify's OpenAPI 2026.5.31: PlayHistoryObject {track,
played_at, context}, ContextObject {type, uri, href}, SavedTrackObject {added_at, track}) and the odd ones it may:
each item is written whole or rejected whole, with its reason counted among the run's rejects."""

from __future__ import annotations

import pytest

from test_glue_listening import SAM, SAVED_DOC, PLAYS_DOC, _micros, _records, play, track

INSTANT = _micros("2026-11-25T17:40:00Z")


def _plays(items):
    records = _records(f"plays/{SAM}.json", {**PLAYS_DOC, "pages": [{"items": items, "limit": 50}]})
    return [row for tag, row in records if tag == "plays"], [(r["locator"], r["reason"]) for tag, r in records if tag == "_reject"]


@pytest.mark.parametrize(
    "played_at, micros",
    [
        ("2026-11-25T17:40:00Z", INSTANT),
        ("2026-11-25T17:40:00.000Z", INSTANT),
        ("2026-11-25T17:40:00.123Z", INSTANT + 123_000),
        ("2026-11-25T17:40:00.1234567Z", INSTANT + 123_456),  # more digits than microseconds: cut, not rejected
        ("2026-11-25T18:40:00+01:00", INSTANT),
        ("2026-11-25T12:40:00.000-05:00", INSTANT),
        ("2026-11-26T03:10:00+09:30", INSTANT),  # a non-UTC offset that crosses the date line back to the 25th
        ("2026-11-25T17:40:00", INSTANT),  # no offset: UTC, as every Spotify instant is
    ],
)
def test_played_at_with_or_without_milliseconds_and_any_offset_is_the_same_utc_instant(played_at, micros):
    plays, rejects = _plays([play(played_at, track("trA", "Alpha"))])
    assert rejects == []
    assert [p["played_at"] for p in plays] == [micros]


@pytest.mark.parametrize(
    "played_at",
    ["2026-11-25", "2026-W48-3", "0001-01-01T00:00:00+01:00", 1795628400000, ""],
)
def test_a_play_without_a_time_of_day_or_out_of_range_is_rejected_with_its_reason(played_at):
    # A play is identified by its instant: a date alone would make every play of that day one play.
    plays, rejects = _plays([play(played_at, track("trA", "Alpha")), play("2026-11-25T17:41:00Z", track("trB", "Beta"))])
    assert [p["track_id"] for p in plays] == ["trB"]
    assert len(rejects) == 1 and rejects[0][0] == "pages[0].items[0]"
    assert rejects[0][1].startswith("play has no readable played_at"), rejects


def test_null_track_episode_and_local_files_are_plays_of_their_kind_without_a_track_id():
    local_without_flag = {"id": None, "name": "Demo", "type": "track", "uri": "spotify:local:Artist:Album:Demo:180", "duration_ms": 180_000}
    episode = {"id": "ep1", "name": "Episode 1", "type": "episode", "duration_ms": 3_600_000}
    plays, rejects = _plays([
        play("2026-11-25T17:40:00Z", None),
        play("2026-11-25T17:41:00Z", episode),
        play("2026-11-25T17:42:00Z", {**local_without_flag, "is_local": True}),
        play("2026-11-25T17:43:00Z", local_without_flag),  # is_local absent: the spotify:local: uri says it
    ])
    assert rejects == []
    assert [(p["item_type"], p["track_id"], p["track_name"]) for p in plays] == [
        ("missing", None, None),
        ("episode", None, "Episode 1"),
        ("local_track", None, "Demo"),
        ("local_track", None, "Demo"),
    ]


@pytest.mark.parametrize(
    "context, context_type, playlist_id",
    [
        (None, None, None),
        ({"type": "show", "uri": "spotify:show:sh1", "href": "https://api.spotify.com/v1/shows/sh1"}, "show", None),
        ({"type": "collection", "uri": f"spotify:user:{SAM}:collection", "href": "https://api.spotify.com/v1/me/tracks"}, "collection", None),
        ({"type": "radio", "uri": "spotify:station:x"}, "radio", None),  # a type Spotify adds later: kept as sent
        ({"type": "playlist", "uri": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"}, "playlist", "37i9dQZF1DXcBWIGoYBM5M"),
        ({"type": "playlist", "uri": "spotify:user:spotify:playlist:37i9dQZF1DX0XUsuxWHRQd"}, "playlist", "37i9dQZF1DX0XUsuxWHRQd"),
        ({"type": "playlist", "uri": None, "href": None}, "playlist", None),
        ("spotify:playlist:x", None, None),  # not an object: no context
    ],
)
def test_every_context_shape(context, context_type, playlist_id):
    plays, rejects = _plays([play("2026-11-25T17:40:00Z", track("trA", "Alpha"), context)])
    assert rejects == []
    assert [(p["context_type"], p["context_playlist_id"]) for p in plays] == [(context_type, playlist_id)]


def test_artists_without_a_name_are_kept_and_credits_without_an_id_are_skipped():
    tr = track("trA", "Alpha", artists=(("ar1", None),))
    tr["artists"].append({"id": None, "name": "Nobody"})
    records = _records(f"plays/{SAM}.json", {**PLAYS_DOC, "pages": [{"items": [play("2026-11-25T17:40:00Z", tr)]}]})
    assert [(r["artist_id"], r["artist_name"]) for tag, r in records if tag == "artists"] == [("ar1", None)]
    assert [r["_artist_ids"] for tag, r in records if tag == "tracks"] == [[{"artist_id": "ar1", "artist_position": 0}]]


def _saved(items, **page):
    records = _records(f"saved_tracks/{SAM}.json", {**SAVED_DOC, "pages": [{"items": items, "offset": 0, **page}]})
    return [row for tag, row in records if tag == "saved_tracks"], [(r["locator"], r["reason"]) for tag, r in records if tag == "_reject"]


def test_saved_items_that_are_not_catalog_tracks_are_rejected_whole():
    saved, rejects = _saved([
        {"added_at": "2026-11-20T10:00:00Z", "track": None},
        {"added_at": "2026-11-20T10:00:00Z", "track": {"id": None, "name": "Demo", "type": "track", "is_local": True, "uri": "spotify:local:a:b:c:1"}},
        {"added_at": "2026-11-20T10:00:00Z", "track": {"id": "ep1", "name": "Episode", "type": "episode"}},
        {"track": track("trA", "Alpha")},  # no added_at: kept, null
        {"added_at": "2026-11-20T11:00:00+01:00", "track": track("trB", "Beta")},
    ])
    assert [(r["track_id"], r["added_at"], r["position"]) for r in saved] == [("trA", None, 3), ("trB", _micros("2026-11-20T10:00:00Z"), 4)]
    assert rejects == [
        ("pages[0].items[0]", "saved track has no track object"),
        ("pages[0].items[1]", "saved track has no track id"),
        ("pages[0].items[2]", "saved item is a episode, not a track"),
    ]


def test_a_position_beyond_the_int_range_rejects_its_item_instead_of_failing_the_run():
    # position is a 32-bit column: a value past it cannot be written, and would fail the whole job's write.
    saved, rejects = _saved([{"added_at": None, "track": track("trA", "A")}, {"added_at": None, "track": track("trB", "B")}], offset=2**31 - 1)
    assert [(r["track_id"], r["position"]) for r in saved] == [("trA", 2**31 - 1)]
    assert rejects == [("pages[0].items[1]", "position 2147483648 is beyond the largest position a library can have (2147483647)")]
    records = _records(f"saved_tracks/{SAM}.json", {**SAVED_DOC, "pages": [
        {"items": [{"added_at": None, "track": track("trC", "C")}], "href": "https://api.spotify.com/v1/me/tracks?offset=99999999999&limit=50"}]})
    assert [r["reason"] for tag, r in records if tag == "_reject"] == [
        "position 99999999999 is beyond the largest position a library can have (2147483647)"
    ]
