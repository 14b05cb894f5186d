"""Shared by the glue tests: the fixture run's paths and a temporary bucket folder to transform it in.

A uniquely named module rather than conftest, so that imports never collide with other test folders.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

GLUE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(GLUE_DIR))

# Spark 3.5 runs on Java 17. The process time zone is left as it is: `make test` runs the suites under a non-UTC
# TZ, and every timestamp the job writes is a UTC wall-clock TIMESTAMP_NTZ that no time zone setting shifts.
os.environ.setdefault("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RUN_ID = "20261125T060000Z-a1b2c3"
EXTRACT_DATE = "2026-11-25"
FIXTURE_RUN = FIXTURES / "raw" / f"extract_date={EXTRACT_DATE}" / f"run_id={RUN_ID}"


class Bucket:
    """A temporary folder laid out like the bucket, holding a copy of a raw run."""

    def __init__(self, root: Path, run_id: str = RUN_ID, extract_date: str = EXTRACT_DATE):
        self.root = root
        self.run_id = run_id
        self.extract_date = extract_date
        self.run_dir = root / "raw" / f"extract_date={extract_date}" / f"run_id={run_id}"
        self._rows: dict[str, list[dict]] = {}
        # The attempt id of the last successful transform (table_dir and rows read that attempt).
        self.attempt_id: str | None = None

    @classmethod
    def with_fixture_run(cls, root: Path) -> "Bucket":
        bucket = cls(root)
        shutil.copytree(FIXTURE_RUN, bucket.run_dir)
        return bucket

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects"

    def run_table_dir(self, table: str) -> Path:
        """processed/<table>/extract_date=D/run_id=R/: the folder that holds every attempt of the run."""
        return self.processed / table / f"extract_date={self.extract_date}" / f"run_id={self.run_id}"

    def table_dir(self, table: str, attempt_id: str | None = None) -> Path:
        """The attempt folder of a table (default: the last successful attempt)."""
        return self.run_table_dir(table) / f"attempt_id={attempt_id or self.attempt_id}"

    def rejects_dir(self, attempt_id: str | None = None) -> Path:
        return self.rejects / f"extract_date={self.extract_date}" / f"run_id={self.run_id}" / f"attempt_id={attempt_id or self.attempt_id}"

    def transform(self, spark, **overrides):
        from spotify_transform.job import run_transform

        kwargs = dict(
            raw_run_prefix=str(self.run_dir) + "/",
            processed_prefix=str(self.processed) + "/",
            rejects_prefix=str(self.rejects) + "/",
            run_id=self.run_id,
        )
        kwargs.update(overrides)
        self._rows.clear()
        result = run_transform(spark, **kwargs)
        self.attempt_id = result["attempt_id"]
        return result

    def rows(self, spark, table: str) -> list[dict]:
        """The published rows of a table for this run (read once per transform)."""
        if table not in self._rows and not self.table_dir(table).exists():
            self._rows[table] = []  # a table without rows: the attempt wrote no file (and no folder) for it
        if table not in self._rows:
            frame = spark.read.parquet(str(self.table_dir(table)))
            self._rows[table] = [row.asDict() for row in frame.collect()]
        return self._rows[table]

    def rejects_lines(self) -> list[dict]:
        import json

        lines = []
        for path in sorted(self.rejects_dir().glob("*.json")):
            lines += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return lines


WEEK2_RUN_ID = "20261202T060000Z-b2c3d4"
WEEK2_DATE = "2026-12-02"


def _write_raw_run(root: Path, run_id: str, extract_date: str, edit) -> Path:
    """A copy of the fixture run as run `run_id`, with `edit(docs)` applied to its parsed documents (relative
    path -> JSON), and a manifest that lists it (stray.json stays unlisted)."""
    import json

    sys.path.insert(0, str(FIXTURES))
    from refresh_manifest import UNLISTED, manifest_for

    run_dir = root / "raw" / f"extract_date={extract_date}" / f"run_id={run_id}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    shutil.copytree(FIXTURE_RUN, run_dir)
    (run_dir / "_manifest.json").unlink()
    docs = {p.relative_to(run_dir).as_posix(): json.loads(p.read_text(encoding="utf-8")) for p in run_dir.glob("*/*.json")}
    edit(docs)
    for path in run_dir.glob("*/*.json"):
        if path.relative_to(run_dir).as_posix() not in docs:
            path.unlink()  # the edit removed (or renamed) it
    for relative, doc in docs.items():
        (run_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / relative).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    manifest = manifest_for(run_dir, run_id, extract_date, UNLISTED)
    (run_dir / "_manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run_dir


def _week2(docs) -> None:
    import json

    pl1 = docs["playlists/pl1AAAAAAAAAAAAAAAAAAA.json"]
    second = pl1["item_pages"][1]["items"]
    second[1], second[2] = second[2], second[1]  # tr2 and tr1 swap places
    del second[3]  # the unparseable item is gone
    for page in pl1["item_pages"]:
        page["total"] = 6
    pl1["playlist"]["items"]["total"] = 6
    pl2 = docs["playlists/pl2BBBBBBBBBBBBBBBBBBB.json"]
    pl2["item_pages"][0]["items"].reverse()  # every track moves...
    pl2["item_pages"][0]["items"].append(json.loads(json.dumps(second[2])))  # ...and tr2 enters
    pl2["item_pages"][0]["total"] = 5
    pl2["playlist"]["tracks"]["total"] = 5
    top = docs["top/tracks_short_term.json"]["pages"][0]
    top["items"].reverse()
    # Week 2's playlists are read with Ana's token (a manifest without belongs_to: she is their one listener).
    for relative in [r for r in docs if r.startswith("playlists/")]:
        docs[relative]["spotify_user_id"] = "user1"
    _listening(docs)
    _listeners_top_lists(docs)


def _listeners_top_lists(docs) -> None:
    """Week 2's top lists are each listener's own (week 1's are from before listeners: no user id): Ana's are the
    fixture's lists, and user2 has a short-term track list of their own, the same tracks in another order."""
    import json

    for relative in [r for r in docs if r.startswith("top/")]:
        doc = docs.pop(relative)
        doc.update({"spotify_user_id": "user1", "listener_name": "ana", "display_name": "Ana"})
        docs[relative.replace(".json", ".user1.json")] = doc
    theirs = json.loads(json.dumps(docs["top/tracks_short_term.user1.json"]))
    theirs.update({"spotify_user_id": "user2", "listener_name": None, "display_name": None})
    theirs["pages"][0]["items"].reverse()
    docs["top/tracks_short_term.user2.json"] = theirs


def _play(played_at, track_id, name, context=None, duration_ms=None):
    # Minimal track objects (id, name): the playlists' fuller objects stay the tracks' current rows.
    track = {"id": track_id, "name": name, "type": "track", **({"duration_ms": duration_ms} if duration_ms else {})}
    return {"played_at": played_at, "track": track, "context": context}


def _context(kind, entity_id):
    return {"type": kind, "uri": f"spotify:{kind}:{entity_id}", "href": f"https://api.spotify.com/v1/{kind}s/{entity_id}"}


def _listening(docs) -> None:
    """Week 2's listener documents: two listeners' plays over two ISO weeks, Ana's saved tracks and follows."""
    tr1, tr2, tr3, tr4, tr5 = 'Déjà Vu, "Live"\nTake 2', "Песня", "Old One", "Duet", "Odd Shapes"
    ana = {"spotify_user_id": "user1", "listener_name": "ana", "display_name": "Ana", "fetched_at": "2026-12-02T06:00:01.000Z"}
    docs["plays/user1.json"] = {
        "kind": "plays", **ana, "cursor_before": None, "cursor_after": 1764620100250, "possible_gap": False,
        "pages": [{
            "items": [
                _play("2026-12-01T20:15:00.250Z", "tr1", tr1, _context("playlist", "pl1AAAAAAAAAAAAAAAAAAA"), 215000),
                _play("2026-12-01T08:00:00.000Z", "tr4", tr4, _context("album", "al4"), 200000),
                _play("2026-11-30T07:30:00.000Z", "tr1", tr1, None, 215000),
                _play("2026-11-28T22:00:00.000Z", "tr2", tr2, {"type": "collection", "uri": "spotify:user:user1:collection"}, 181234),
                _play("2026-11-24T09:00:00.000Z", "tr3", tr3, _context("artist", "ar3"), 99000),
            ],
            "cursors": {"after": "1764620100250", "before": "1763974800000"}, "limit": 50, "next": None,
        }],
    }
    docs["plays/user2.json"] = {
        "kind": "plays", "spotify_user_id": "user2", "listener_name": None, "display_name": None,
        "fetched_at": "2026-12-02T06:00:01.000Z", "cursor_before": None, "cursor_after": 1764590400000, "possible_gap": False,
        "pages": [{"items": [_play("2026-12-01T12:00:00.000Z", "tr5", tr5), _play("2026-11-29T12:00:00.000Z", "tr5", tr5)], "limit": 50, "next": None}],
    }
    # Exports Ana imported alongside (the job parses a streams file in any run its manifest lists it in): Extended
    # Streaming History with her polled play of Monday 07:30 (5 s later) and of Tuesday 08:00 (which the re-run's poll
    # no longer has), an older listen, a 0 ms skip and an episode; and Account data holding that older listen again
    # and, by name only, her polled play of Saturday 22:00. listening_history: user1 4 export + 2 poll listens.
    def stream(ts, ms, uri, name=None):
        return {"ts": ts, "ms_played": ms, "spotify_track_uri": uri, "master_metadata_track_name": name,
                "master_metadata_album_artist_name": "Ärtist Üno" if name else None, "ip_addr": "198.51.100.7",
                "skipped": ms == 0, "spotify_episode_uri": None if uri else "spotify:episode:ep1", "episode_name": None if uri else "Ep"}
    docs["streams/Streaming_History_Audio_2026_0.json"] = [
        stream("2026-11-30T07:30:05Z", 215000, "spotify:track:tr1", tr1),
        stream("2026-12-01T08:00:04Z", 200000, "spotify:track:tr4", tr4),
        stream("2026-11-20T18:00:00Z", 181234, "spotify:track:tr2", tr2),
        stream("2026-11-20T18:05:00Z", 0, "spotify:track:tr2", tr2),
        stream("2026-11-21T07:00:00Z", 600000, None),
    ]
    docs["streams/StreamingHistory_music_0.json"] = [
        {"endTime": "2026-11-20 18:00", "artistName": "Ärtist Üno", "trackName": tr2, "msPlayed": 181234},
        {"endTime": "2026-11-28 22:00", "artistName": "Ärtist Üno", "trackName": tr2, "msPlayed": 181234},
    ]
    docs["saved_tracks/user1.json"] = {
        "kind": "saved_tracks", **ana,
        "pages": [{"items": [
            {"added_at": "2026-11-20T10:00:00Z", "track": {"id": "tr2", "name": tr2, "type": "track"}},
            {"added_at": "2026-06-01T10:00:00Z", "track": {"id": "tr5", "name": tr5, "type": "track"}},
        ], "offset": 0, "total": 2}],
    }
    docs["followed_artists/user1.json"] = {
        "kind": "followed_artists", **ana,
        "pages": [{"artists": {"items": [{"id": "ar1", "name": "Ärtist Üno"}, {"id": "ar3", "name": "Тест Артист"}],
                               "cursors": {"after": None}, "next": None, "total": 2}}],
    }


def _week2_rerun(docs) -> None:
    _week2(docs)
    # The re-extracted poll no longer has Ana's album play of Monday (its content changed): the views must say so.
    docs["plays/user1.json"]["pages"][0]["items"].pop(1)
    pl2 = docs["playlists/pl2BBBBBBBBBBBBBBBBBBB.json"]
    items = pl2["item_pages"][0]["items"]
    pl2["item_pages"][0]["items"] = items[:2] + items[-1:]  # shrank from 5 to 3 items: tr3 and tr1 dropped out
    pl2["item_pages"][0]["total"] = 3
    pl2["playlist"]["tracks"]["total"] = 3
    docs["top/tracks_short_term.user1.json"]["pages"][0]["items"] = docs["top/tracks_short_term.user1.json"]["pages"][0]["items"][:1]
    docs["top/tracks_short_term.user1.json"]["pages"][0]["total"] = 1


def build_warehouse_bucket(spark, golden: "Bucket", root: Path) -> tuple[Path, dict[str, str]]:
    """Glue output for the warehouse tests, built on the golden run's output (week 1, attempt as transformed):

    - week 2 (WEEK2_RUN_ID): playlists reordered, the bad item gone, the top list reversed (attempt "w2-first");
    - week 2 again, re-extracted after a playlist shrank from 5 to 3 items (attempt "w2-rerun", committed later);
    - week 1 again, killed after writing some tables and before its commit record (attempt "w1-killed").
    """
    from spotify_transform.job import run_transform

    for folder in ("raw", "processed", "rejects"):
        shutil.copytree(golden.root / folder, root / folder)
    attempts = {"w1": golden.attempt_id}
    prefixes = dict(processed_prefix=str(root / "processed") + "/", rejects_prefix=str(root / "rejects") + "/")

    run_dir = _write_raw_run(root, WEEK2_RUN_ID, WEEK2_DATE, _week2)
    run_transform(spark, raw_run_prefix=str(run_dir) + "/", run_id=WEEK2_RUN_ID, attempt_id="w2-first", **prefixes)
    attempts["w2-first"] = "w2-first"
    run_dir = _write_raw_run(root, WEEK2_RUN_ID, WEEK2_DATE, _week2_rerun)
    run_transform(spark, raw_run_prefix=str(run_dir) + "/", run_id=WEEK2_RUN_ID, attempt_id="w2-rerun", **prefixes)
    attempts["w2-rerun"] = "w2-rerun"

    # A job killed mid-publish leaves what it wrote and no commit record: keep each table as it is written, let the
    # attempt fail (its clean-up removes its files), then put the kept files back.
    kept = root / "_kept"

    def keep_then_die(table: str) -> None:
        folder = root / "processed" / table / f"extract_date={EXTRACT_DATE}" / f"run_id={RUN_ID}" / "attempt_id=w1-killed"
        if folder.exists():  # a table without rows has no folder (no file is written for it)
            shutil.copytree(folder, kept / table)
        if table == "tracks":
            raise RuntimeError("killed")

    try:
        run_transform(spark, raw_run_prefix=str(golden.run_dir) + "/", run_id=RUN_ID, attempt_id="w1-killed",
                      fail_before_commit=keep_then_die, **prefixes)
    except RuntimeError:
        pass
    for table_dir in kept.iterdir():
        shutil.copytree(table_dir, root / "processed" / table_dir.name / f"extract_date={EXTRACT_DATE}" / f"run_id={RUN_ID}" / "attempt_id=w1-killed")
    shutil.rmtree(kept)
    attempts["w1-killed"] = "w1-killed"
    return root, attempts


# ------------------------------------------------------------------------------------------- listening bucket

LISTENING_RUNS = {
    # weekly: both listeners' plays, libraries of both
    "L1": ("20261230T060000Z-d1e2f3", "2026-12-30", "full"),
    # the hourly poll, 12 days later (nobody listened in the week of 2027-01-04)
    "P": ("20270111T090000Z-p0a1b2", "2027-01-11", "plays"),
    # weekly: user1 unsaved everything and their follows failed; user2's libraries read
    "L2": ("20270113T060000Z-e1f2a3", "2027-01-13", "full"),
}
_DURATIONS = {"k1": 60_000, "k2": 120_000, "k3": 180_000, "k4": 240_000}
_CREDITS = {"k1": ["a1"], "k2": ["a2"], "k3": ["a1", "a2"], "k4": ["a3"]}


def _k(track_id: str) -> dict:
    return {"id": track_id, "name": track_id.upper(), "type": "track", "duration_ms": _DURATIONS[track_id],
            "album": {"id": "alk", "name": "K"}, "artists": [{"id": a, "name": a.upper()} for a in _CREDITS[track_id]]}


def _doc(kind: str, user: str, pages: list) -> dict:
    names = {"user1": ("ana", "Ana"), "user2": (None, "Bo")}[user]
    return {"kind": kind, "spotify_user_id": user, "listener_name": names[0], "display_name": names[1], "pages": pages}


def listening_documents(run: str) -> tuple[dict[str, dict], list[dict]]:
    """(documents by relative path, manifest errors) of each run of the listening bucket."""
    saved = lambda *ids: [{"items": [{"added_at": "2026-12-01T00:00:00Z", "track": _k(i)} for i in ids], "offset": 0, "total": len(ids)}]
    follows = lambda *ids: [{"artists": {"items": [{"id": a, "name": a.upper()} for a in ids], "cursors": {"after": None}, "total": len(ids)}}]
    play = lambda at, track_id: {"played_at": at, "track": _k(track_id), "context": None}
    if run == "L1":
        return {
            "plays/user1.json": _doc("plays", "user1", [{"items": [
                play("2026-12-29T12:00:00.000Z", "k3"),
                play("2026-12-28T01:00:00+01:00", "k1"),  # Monday 00:00 UTC: the week of 28 December
                play("2026-12-27T23:59:59.999Z", "k2"),  # Sunday, the last millisecond of the week before
                play("2026-12-21T10:00:00Z", "k1"),
            ], "limit": 50}]),
            "plays/user2.json": _doc("plays", "user2", [{"items": [play("2026-12-31T19:00:00-05:00", "k3")], "limit": 50}]),  # 1 Jan 00:00 UTC
            "saved_tracks/user1.json": _doc("saved_tracks", "user1", saved("k1", "k2")),
            "followed_artists/user1.json": _doc("followed_artists", "user1", follows("a1", "a2")),
            "saved_tracks/user2.json": _doc("saved_tracks", "user2", saved("k3")),
        }, []
    if run == "P":
        return {
            "plays/user1.json": _doc("plays", "user1", [
                {"items": [play("2027-01-11T07:05:00Z", "k4"), play("2027-01-11T07:00:00.000Z", "k1"), play("2027-01-01T00:30:00Z", "k3")], "limit": 3},
                # the walk back from the newest play: overlaps the page before, and the poll before (L1)
                {"items": [play("2027-01-11T07:00:00Z", "k1"), play("2027-01-01T00:30:00.000Z", "k3"), play("2026-12-29T12:00:00Z", "k3")], "limit": 3},
            ]),
        }, []
    return {
        "saved_tracks/user1.json": _doc("saved_tracks", "user1", [{"items": [], "offset": 0, "total": 0}]),
        "saved_tracks/user2.json": _doc("saved_tracks", "user2", saved("k4")),
        "followed_artists/user2.json": _doc("followed_artists", "user2", follows("a3")),
    }, [{"kind": "followed_artists", "entity_id": "ana", "http_status": 502, "message": "Bad gateway"}]


def build_listening_bucket(spark, root: Path) -> dict[str, dict]:
    """Glue output of the LISTENING_RUNS, each transformed once; the transform results by run name."""
    import hashlib
    import json

    from spotify_transform.job import run_transform

    results = {}
    for name, (run_id, extract_date, mode) in LISTENING_RUNS.items():
        run_dir = root / "raw" / f"extract_date={extract_date}" / f"run_id={run_id}"
        docs, errors = listening_documents(name)
        objects = []
        for relative, doc in docs.items():
            data = json.dumps(doc).encode()
            (run_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (run_dir / relative).write_bytes(data)
            objects.append({"key": f"raw/extract_date={extract_date}/run_id={run_id}/{relative}", "kind": doc["kind"],
                            "entity_id": doc["listener_name"] or doc["spotify_user_id"], "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest(), "items": 0, "pages": len(doc["pages"]),
                            "fetched_in_run": run_id, "spotify_user_id": doc["spotify_user_id"]})
        manifest = {"manifest_version": 2, "run_id": run_id, "extract_date": extract_date, "mode": mode,
                    "started_at": f"{extract_date}T{run_id[9:11]}:00:00.000Z", "finished_at": f"{extract_date}T{run_id[9:11]}:00:05.000Z",
                    "status": "partial" if errors else "complete", "stopped_early": None, "objects": objects, "errors": errors}
        (run_dir / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        results[name] = run_transform(spark, raw_run_prefix=str(run_dir) + "/", processed_prefix=str(root / "processed") + "/",
                                      rejects_prefix=str(root / "rejects") + "/", run_id=run_id, attempt_id=f"{name.lower()}-1")
    return results
