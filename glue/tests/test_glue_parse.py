"""The pure-Python parser (no Spark): value coercion and record shapes, including drift from tables.json."""

from __future__ import annotations

import hashlib
import json

import pytest

from spotify_transform import values
from spotify_transform.parse import parse_object, parse_partition
from spotify_transform.records import OBJECT, REJECT, TRACK_ARTISTS_FIELD, RunContext
from spotify_transform.values import normalise_release_date
from spotify_transform.schemas import load_schemas


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1999", "1999-01-01"),
        ("2011-05", "2011-05-01"),
        ("2019-07-15", "2019-07-15"),
        ("0000", None),
        ("0000-00-00", None),
        ("2019-02-30", None),
        ("2019-13", None),
        ("soon", None),
        ("", None),
        (None, None),
        (1999, None),
    ],
)
def test_release_date_normalisation(raw, expected):
    assert normalise_release_date(raw) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(5, 5), (5.0, 5), ("12", 12), (True, None), (5.5, None), ("n/a", None), (2**31, None), (None, None), ({}, None)],
)
def test_as_int_is_lenient_but_never_wrong(value, expected):
    assert values.as_int(value) == expected


def test_timestamps_become_utc_microseconds():
    assert values.timestamp_micros("1970-01-01T00:00:01.5Z") == 1_500_000
    assert values.timestamp_micros("1970-01-01T01:00:00+01:00") == 0
    assert values.timestamp_micros(None) is None
    assert values.timestamp_micros("yesterday") is None


def _ctx(path: str, data: bytes) -> RunContext:
    key = f"raw/extract_date=2026-11-25/run_id=20261125T060000Z-a1b2c3/{path}"
    return RunContext("20261125T060000Z-a1b2c3", "2026-11-25", {path: {"key": key, "sha256": hashlib.sha256(data).hexdigest()}})


def _records(doc, path="playlists/p.json"):
    data = json.dumps(doc).encode()
    return [(tag, row) for tag, _, row in parse_object(_ctx(path, data), "file:/x/" + path, data)]


def test_item_type_classification():
    items = [
        {"item": None, "track": None},
        {"item": {"type": "episode", "id": "e"}},
        {"is_local": True, "item": {"type": "track", "id": None, "name": "L"}},
        {"item": {"type": "track", "id": "t", "name": "T"}},
        {"track": {"type": "track", "id": "t2"}},
        {"item": {"type": "audiobook_chapter", "id": "c"}},
    ]
    doc = {"kind": "playlist", "playlist_id": "p", "playlist": {"id": "p"}, "item_pages": [{"offset": 0, "items": items}]}
    rows = [p for t, p in _records(doc) if t == "playlist_tracks"]
    assert [(r["position"], r["item_type"], r["track_id"]) for r in rows] == [
        (0, "missing", None),
        (1, "episode", None),
        (2, "local_track", None),
        (3, "track", "t"),
        (4, "track", "t2"),
        (5, "audiobook_chapter", None),
    ]


def test_a_non_string_id_rejects_the_item_not_the_file():
    doc = {"kind": "playlist", "playlist_id": "p", "playlist": {"id": "p"},
           "item_pages": [{"offset": 0, "items": [{"item": {"type": "track", "id": 123}}, {"item": {"id": "ok"}}]}]}
    records = _records(doc)
    rejects = [p for t, p in records if t == REJECT]
    assert [(r["locator"], r["reason"]) for r in rejects] == [
        ("item_pages[0].items[0]", "playlist item: id is a int, not a string: 123")
    ]
    assert [p["track_id"] for t, p in records if t == "playlist_tracks"] == ["ok"]


def test_checksum_mismatch_rejects_the_whole_object_without_parsing_it():
    good = json.dumps({"kind": "playlist", "playlist_id": "p"}).encode()
    ctx = _ctx("playlists/p.json", good)
    records = list(parse_object(ctx, "s3://b/raw/x/playlists/p.json", good + b" "))
    tags = [tag for tag, _, _ in records]
    assert tags == [REJECT, OBJECT]
    assert "checksum mismatch" in records[0][2]["reason"]


def test_a_file_the_manifest_does_not_list_is_never_parsed():
    ctx = _ctx("playlists/p.json", b"{}")
    assert [row for _, _, row in parse_object(ctx, "file:/x/playlists/other.json", b"{}")] == [
        {"relative_path": "playlists/other.json", "status": "unlisted", "reason": None}
    ]


def test_invalid_json_is_rejected_with_the_parser_message():
    records = list(parse_object(_ctx("top/t.json", b"{nope"), "file:/r/top/t.json", b"{nope"))
    assert records[0][2]["reason"].startswith("not valid UTF-8 JSON")


def test_parser_rows_carry_exactly_the_columns_of_tables_json():
    """Guards drift: a column added to tables.json must be filled by the parser (or it would stay null)."""
    schemas = load_schemas()
    run_names = {c.name for c in schemas.run_columns}
    track = {"id": "t", "name": "n", "type": "track", "album": {"id": "a"}, "artists": [{"id": "r"}]}
    playlist = {"kind": "playlist", "playlist_id": "p", "spotify_user_id": "u", "playlist": {"id": "p"},
                "item_pages": [{"offset": 0, "items": [{"item": track}]}]}
    top_artists = {"kind": "top", "item_type": "artists", "time_range": "long_term", "pages": [{"offset": 0, "items": [{"id": "r"}]}]}
    seen = {}
    listening = [
        ({"kind": "plays", "spotify_user_id": "u", "pages": [{"items": [{"track": track, "played_at": "2026-01-01T00:00:00Z"}]}]}, "plays/u.json"),
        ({"kind": "saved_tracks", "spotify_user_id": "u", "pages": [{"items": [{"track": track}]}]}, "saved_tracks/u.json"),
        ({"kind": "followed_artists", "spotify_user_id": "u", "pages": [{"artists": {"items": [{"id": "r"}]}}]}, "followed_artists/u.json"),
    ]
    records = _records(playlist) + _records(top_artists, "top/artists_long_term.json")
    for doc, path in listening:
        records += _records(doc, path)
    # An imported export file: its manifest entry names its kind and listener.
    export = json.dumps([{"ts": "2026-01-01T00:00:00Z", "ms_played": 1, "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}]).encode()
    entry = {"key": "imports/listener=sam/run_id=20261125T060000Z-a1b2c3/streams/s.json", "sha256": hashlib.sha256(export).hexdigest(), "kind": "streams", "entity_id": "sam"}
    records += [(tag, row) for tag, _, row in parse_object(RunContext("20261125T060000Z-a1b2c3", "2026-11-25", {"streams/s.json": entry}), "file:/x/streams/s.json", export)]
    for tag, payload in records:
        seen.setdefault(tag, set(payload) - {TRACK_ARTISTS_FIELD})
    for name in schemas.table_names:
        if name == "track_artists" or schemas.table(name).kind == "commit":
            continue  # derived in Spark from the tracks rows' artist list / written by the job at commit
        expected = {c.name for c in schemas.table(name).columns} - run_names
        assert seen[name] == expected, name


def test_partition_dedup_keeps_the_most_complete_entity():
    thin = {"id": "r", "name": "R"}
    full = {"id": "r", "name": "R", "genres": ["x"], "followers": {"total": 3}, "popularity": 9, "uri": "u"}
    files = []
    manifest = {}
    for path, doc in (
        ("top/artists_a.json", {"kind": "top", "item_type": "artists", "time_range": "a", "pages": [{"offset": 0, "items": [thin]}]}),
        ("top/artists_b.json", {"kind": "top", "item_type": "artists", "time_range": "b", "pages": [{"offset": 0, "items": [full]}]}),
    ):
        data = json.dumps(doc).encode()
        files.append(("file:/r/" + path, data))
        manifest[path] = {"key": path, "sha256": hashlib.sha256(data).hexdigest()}
    ctx = RunContext("20261125T060000Z-a1b2c3", "2026-11-25", manifest)
    artists = [row for t, _, row in parse_partition(ctx, files) if t == "artists"]
    assert artists == [{"artist_id": "r", "artist_name": "R", "genres": "x", "followers_total": 3, "popularity": 9, "uri": "u", "spotify_user_id": None}]


def test_schema_path_that_does_not_exist_is_an_error_not_a_silent_fallback(tmp_path):
    from spotify_transform.schemas import SchemaError

    with pytest.raises(SchemaError, match="--SCHEMA_PATH points to .*not a file"):
        load_schemas(str(tmp_path / "missing.json"))


def test_schema_key_excludes_run_columns_and_keeps_column_order():
    schemas = load_schemas()
    table = schemas.table("playlist_tracks")
    assert table.key == ("playlist_id", "position")
    assert table.column_names[-4:] == ["run_id", "extract_date", "extracted_at", "attempt_id"]


# ------------------------------------------------------------------------------ whose playlists (playlist_listeners)

SHARED = {"kind": "playlist", "playlist_id": "p", "spotify_user_id": "u-mira",
          "playlist": {"id": "p", "owner": {"id": "u-mira"}, "collaborative": True}, "item_pages": [{"offset": 0, "items": []}]}


def _listener_rows(doc, belongs_to=None):
    data = json.dumps(doc).encode()
    path = "playlists/p.json"
    entry = {"key": f"raw/x/{path}", "sha256": hashlib.sha256(data).hexdigest(), "belongs_to": belongs_to}
    records = list(parse_object(RunContext("20261125T060000Z-a1b2c3", "2026-11-25", {path: entry}), "file:/x/" + path, data))
    return ([row for tag, _, row in records if tag == "playlist_listeners"],
            [row for tag, _, row in records if tag == "listener_profiles"])


def test_a_playlist_belongs_to_every_listener_the_manifest_names_with_their_role():
    members = ({"listener": "sam", "spotify_user_id": "u-sam", "role": "collaborator"},
               {"listener": "mira", "spotify_user_id": "u-mira", "role": "owner"})
    rows, profiles = _listener_rows(SHARED, members)
    assert rows == [
        {"playlist_id": "p", "spotify_user_id": "u-sam", "listener_name": "sam", "role": "collaborator"},
        {"playlist_id": "p", "spotify_user_id": "u-mira", "listener_name": "mira", "role": "owner"},
    ]
    # A listener whose only data is playlists is a listener too.
    assert [(p["spotify_user_id"], p["listener_name"]) for p in profiles] == [("u-sam", "sam"), ("u-mira", "mira")]


@pytest.mark.parametrize(
    "owner, collaborative, role",
    [("u-mira", False, "owner"), ("someone", True, "collaborator"), ("someone", False, "reader")],
)
def test_a_manifest_from_before_names_no_members_then_the_reader_is_the_one_listener(owner, collaborative, role):
    doc = {**SHARED, "playlist": {"id": "p", "owner": {"id": owner}, "collaborative": collaborative}}
    rows, _ = _listener_rows(doc)
    assert rows == [{"playlist_id": "p", "spotify_user_id": "u-mira", "listener_name": None, "role": role}]


def test_an_app_tokens_playlist_belongs_to_nobody():
    doc = {k: v for k, v in SHARED.items() if k != "spotify_user_id"}
    assert _listener_rows(doc) == ([], [])
