"""Imported Spotify exports (parse_streams.py): every shape of stream becomes one streams row or one reject naming
the file and the reason; ip_addr never leaves raw/. Pure Python, plus one run of the whole job on the shared Spark
session (processed Parquet holds no ip_addr, and the counts are exact)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from spotify_transform.parse import parse_object
from spotify_transform.records import OBJECT, REJECT, RunContext

from glue_testing import Bucket

RUN_ID = "20241231T235959Z-0a1b2c"
TRACK = "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
IP = "203.0.113.77"


def _stream(ts, ms, **fields):
    base = {
        "ts": ts, "platform": "android", "ms_played": ms, "conn_country": "DE", "ip_addr": IP,
        "master_metadata_track_name": None, "master_metadata_album_artist_name": None, "master_metadata_album_album_name": None,
        "spotify_track_uri": None, "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
        "audiobook_title": None, "audiobook_uri": None, "reason_start": "trackdone", "reason_end": "trackdone",
        "shuffle": False, "skipped": False, "offline": False, "offline_timestamp": None, "incognito_mode": False,
    }
    return {**base, **fields}


EXTENDED = [
    _stream("2024-03-01T18:04:11Z", 201000, spotify_track_uri=TRACK, master_metadata_track_name="Song",
            master_metadata_album_artist_name="Band", master_metadata_album_album_name="Album"),
    _stream("2024-03-01T18:05:00Z", 0, spotify_track_uri=TRACK, master_metadata_track_name="Song", skipped=True, reason_end="fwdbtn"),
    _stream("2024-03-01T19:00:00Z", 1800000, spotify_episode_uri="spotify:episode:0Q86acNRm6V9GYx55SXKwf",
            episode_name="Ep 1", episode_show_name="Show"),
    _stream("2024-03-01T20:00:00Z", 90000, spotify_track_uri="spotify:local:Me:Demo:Tape:90",
            master_metadata_track_name="Tape", master_metadata_album_artist_name="Me"),
    _stream("2024-03-01T21:00:00Z", 120000, master_metadata_track_name="Bedroom demo", master_metadata_album_artist_name="Me"),
    _stream("2024-03-01T22:00:00Z", 60000, audiobook_uri="spotify:show:7iHfbu1YPACw6oZPAFJtqe", audiobook_title="A Book"),
    _stream("2024-03-01T23:00:00Z", 30000, spotify_track_uri=TRACK, master_metadata_track_name="Song", incognito_mode=True),
    _stream(None, 5000, spotify_track_uri=TRACK),  # no timestamp: rejected
    _stream("2024-03-02T00:00:00Z", "lots", spotify_track_uri=TRACK),  # no ms_played: rejected
    "not a stream",  # rejected
    # The same stream twice in one file: one listen (the table key keeps one row).
    _stream("2024-03-01T18:04:11Z", 201000, spotify_track_uri=TRACK, master_metadata_track_name="Song",
            master_metadata_album_artist_name="Band", master_metadata_album_album_name="Album"),
]


def _parse(path: str, data: bytes, listener: str = "sam") -> list[tuple[str, dict]]:
    entry = {"key": f"imports/listener={listener}/run_id={RUN_ID}/{path}", "sha256": hashlib.sha256(data).hexdigest(),
             "kind": "streams", "entity_id": listener}
    ctx = RunContext(RUN_ID, "2024-12-31", {path: entry})
    return [(tag, row) for tag, _, row in parse_object(ctx, "file:/b/x/" + path, data)]


def test_extended_streams_become_rows_of_every_item_type_and_bad_records_are_rejected_with_the_reason():
    records = _parse("streams/Streaming_History_Audio_2024.json", json.dumps(EXTENDED).encode())
    rows = [row for tag, row in records if tag == "streams"]
    assert [(r["item_type"], r["track_id"], r["ms_played"]) for r in rows] == [
        ("track", "4uLU6hMCjMI75M1A2tKUQC", 201000),
        ("track", "4uLU6hMCjMI75M1A2tKUQC", 0),
        ("episode", None, 1800000),
        ("local_track", None, 90000),
        ("local_track", None, 120000),
        ("audiobook", None, 60000),
        ("track", "4uLU6hMCjMI75M1A2tKUQC", 30000),
        ("track", "4uLU6hMCjMI75M1A2tKUQC", 201000),
    ]
    first = rows[0]
    assert first["listener_name"] == "sam" and first["export_kind"] == "extended"
    assert first["export_file"] == "Streaming_History_Audio_2024.json"
    assert first["ended_at"] == 1709316251 * 1_000_000  # 2024-03-01T18:04:11Z, UTC
    assert (first["track_name"], first["artist_name"], first["album_name"]) == ("Song", "Band", "Album")
    assert rows[1]["skipped"] is True and rows[1]["reason_end"] == "fwdbtn"
    assert rows[4]["item_key"] == "names:Me - Bedroom demo"
    assert rows[6]["incognito_mode"] is True
    assert all("ip_addr" not in r for r in rows)
    rejects = [row for tag, row in records if tag == REJECT]
    assert [(r["locator"], r["reason"].split(" (")[0]) for r in rejects] == [
        ("[7]", "stream has no readable ts"),
        ("[8]", "stream has no readable ms_played"),
        ("[9]", "stream is a str, not a JSON object"),
    ]
    assert all(r["object_key"].endswith("streams/Streaming_History_Audio_2024.json") for r in rejects)
    assert not any(IP in (r["record"] or "") for r in rejects)  # the rejected record's copy leaves ip_addr out
    assert records[-1] == (OBJECT, {"relative_path": "streams/Streaming_History_Audio_2024.json", "status": "parsed", "reason": None})


def test_account_data_music_and_podcasts_read_end_time_as_utc_minutes():
    music = [{"endTime": "2023-12-31 23:59", "artistName": "Band", "trackName": "Song", "msPlayed": 1234},
             {"endTime": "31/12/2023 23:59", "artistName": "Band", "trackName": "Song", "msPlayed": 1}]
    records = _parse("streams/StreamingHistory_music_0.json", json.dumps(music).encode())
    rows = [row for tag, row in records if tag == "streams"]
    assert [(r["item_type"], r["item_key"], r["ended_at"], r["export_kind"]) for r in rows] == [
        ("track", "names:Band - Song", 1704067140 * 1_000_000, "account_data"),
    ]
    assert [r["locator"] for tag, r in records if tag == REJECT] == ["[1]"]
    podcast = [{"endTime": "2023-12-30 08:00", "podcastName": "Show", "episodeName": "Ep 2", "msPlayed": 600000}]
    rows = [row for tag, row in _parse("streams/StreamingHistory_podcast_0.json", json.dumps(podcast).encode()) if tag == "streams"]
    assert [(r["item_type"], r["show_name"], r["episode_name"]) for r in rows] == [("episode", "Show", "Ep 2")]


def test_a_file_that_is_not_an_export_or_not_json_is_rejected_whole_without_its_text():
    not_export = _parse("streams/Streaming_History_Audio_x.json", json.dumps({"userName": "x", "ip_addr": IP}).encode())
    assert [(tag, row.get("reason")) for tag, row in not_export] == [
        (REJECT, "Streaming_History_Audio_x.json is not a Spotify streaming history export: expected a JSON array of streams, got an object"),
        (OBJECT, "not an export"),
    ]
    broken = _parse("streams/Streaming_History_Audio_y.json", f'[{{"ts": "2024-01-01T00:00:00Z", "ip_addr": "{IP}"'.encode())
    assert [tag for tag, _ in broken] == [REJECT, OBJECT]
    assert broken[0][1]["reason"].startswith("not valid UTF-8 JSON") and broken[0][1]["record"] is None


def test_the_job_publishes_streams_without_ip_addr_and_rejects_name_the_file(spark, tmp_path: Path):
    bucket = Bucket(tmp_path, run_id=RUN_ID, extract_date="2024-12-31")
    bucket.run_dir = tmp_path / "imports" / "listener=sam" / f"run_id={RUN_ID}"
    files = {"Streaming_History_Audio_2024.json": json.dumps(EXTENDED).encode(), "Streaming_History_Audio_bad.json": b"{not json"}
    objects = []
    for name, data in files.items():
        (bucket.run_dir / "streams").mkdir(parents=True, exist_ok=True)
        (bucket.run_dir / "streams" / name).write_bytes(data)
        objects.append({"key": f"imports/listener=sam/run_id={RUN_ID}/streams/{name}", "sha256": hashlib.sha256(data).hexdigest(),
                        "kind": "streams", "entity_id": "sam"})
    manifest = {"manifest_version": 2, "run_id": RUN_ID, "extract_date": "2024-12-31", "started_at": "2024-12-31T23:59:59Z",
                "status": "complete", "objects": objects, "errors": []}
    (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest))
    result = bucket.transform(spark)
    assert result["tables"]["streams"]["rows"] == 7  # 11 records: 3 rejected, the duplicate kept once
    assert result["objects"] == {"parsed": 1, "rejected": 1, "missing": 0, "unlisted": 0}
    assert result["rejects"] == 4
    frame = spark.read.parquet(str(bucket.table_dir("streams")))
    assert "ip_addr" not in frame.columns
    assert not any(IP in json.dumps(row.asDict(), default=str) for row in frame.collect())
    assert sorted({line["object_key"].rsplit("/", 1)[-1] for line in bucket.rejects_lines()}) == [
        "Streaming_History_Audio_2024.json", "Streaming_History_Audio_bad.json"]
