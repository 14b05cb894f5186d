"""Golden test: the hand-written fixture run in glue/tests/fixtures/ -> exact rows in every processed table."""

from __future__ import annotations

import datetime as dt

from glue_testing import EXTRACT_DATE, RUN_ID

D = dt.date
T = dt.datetime

# Table columns in tables.json order (the run columns are checked separately below).
EXPECTED = {
    "playlist_snapshots": [
        ("pl1AAAAAAAAAAAAAAAAAAA", "Road Trip", 'Songs for the road, "loud", with commas', "user1", "Ana", True, False,
         "snap-pl1-1", 42, 7, "https://i.scdn.co/image/pl1-640", None, None),
        ("pl2BBBBBBBBBBBBBBBBBBB", "東京 Nights", "", "user2", None, None, True, "snap-pl2-9", None, 4, None, None, None),
    ],
    "playlist_tracks": [
        ("pl1AAAAAAAAAAAAAAAAAAA", 0, "track", "tr1", 'Déjà Vu, "Live"\nTake 2', "tr1", False, T(2026, 1, 2, 3, 4, 5), "user1", None),
        ("pl1AAAAAAAAAAAAAAAAAAA", 1, "missing", None, None, None, False, None, None, None),
        ("pl1AAAAAAAAAAAAAAAAAAA", 2, "episode", "ep1", "Podcast Episode 7", None, False, T(2026, 1, 3), "user2", None),
        ("pl1AAAAAAAAAAAAAAAAAAA", 3, "local_track", None, "My Demo (local)", None, True, T(2026, 1, 4, 10), "user1", None),
        ("pl1AAAAAAAAAAAAAAAAAAA", 4, "track", "tr2", "Песня", "tr2", False, T(2026, 2, 3, 4, 5, 6, 789000), "user2", None),
        ("pl1AAAAAAAAAAAAAAAAAAA", 5, "track", "tr1", 'Déjà Vu, "Live"\nTake 2', "tr1", False, T(2026, 2, 4), "user1", None),
        ("pl2BBBBBBBBBBBBBBBBBBB", 0, "track", "tr1", 'Déjà Vu, "Live"\nTake 2', "tr1", False, T(2025, 12, 31, 23, 59, 59), "user2", None),
        ("pl2BBBBBBBBBBBBBBBBBBB", 1, "track", "tr3", "Old One", "tr3", False, T(2026, 3, 1, 12), "user2", None),
        ("pl2BBBBBBBBBBBBBBBBBBB", 2, "track", "tr4", "Duet", "tr4", False, None, "user1", None),
        ("pl2BBBBBBBBBBBBBBBBBBB", 3, "track", "tr5", "Odd Shapes", "tr5", False, T(2026, 3, 2, 12), "user2", None),
    ],
    "tracks": [
        ("tr1", 'Déjà Vu, "Live"\nTake 2', "al1", 215000, False, 55, 3, 1, "USABC9900001", "spotify:track:tr1", None),
        ("tr2", "Песня", "al2", 181234, True, None, 1, 1, "RUXYZ1100002", "spotify:track:tr2", None),
        ("tr3", "Old One", "al3", 99000, None, None, None, None, None, "spotify:track:tr3", None),
        ("tr4", "Duet", "al4", 200000, True, None, 5, 2, None, "spotify:track:tr4", None),
        ("tr5", "Odd Shapes", "al5", None, None, None, None, None, None, None, None),
    ],
    "albums": [
        ("al1", "Première", "album", D(1999, 1, 1), "year", "1999", 12, None, "00602517", "spotify:album:al1",
         "https://i.scdn.co/image/al1-300", None),
        ("al2", "Single Month", "single", D(2011, 5, 1), "month", "2011-05", 1, None, None, "spotify:album:al2", None, None),
        ("al3", "Zero Year", "compilation", None, "year", "0000", 20, None, None, "spotify:album:al3", None, None),
        ("al4", "Exact Day", "album", D(2019, 7, 15), "day", "2019-07-15", 9, "Indie Label", None, "spotify:album:al4", None, None),
        ("al5", "Garbage Date", None, None, None, "soon", 7, None, None, None, None, None),
    ],
    "artists": [
        ("ar1", "Ärtist Üno", "k-pop,dance pop", 1234, 80, "spotify:artist:ar1", None),
        ("ar2", 'Second, "The" Artist', None, None, None, "spotify:artist:ar2", None),
        ("ar3", "Тест Артист", None, None, None, "spotify:artist:ar3", None),
    ],
    "track_artists": [
        ("tr1", "ar1", 0, None),
        ("tr1", "ar2", 1, None),
        ("tr2", "ar3", 0, None),
        ("tr3", "ar3", 0, None),
        ("tr4", "ar1", 1, None),
        ("tr4", "ar2", 0, None),
        ("tr5", "ar3", 0, None),
    ],
    "user_top_items": [
        ("artist", "short_term", 1, "ar1", "Ärtist Üno", None),
        ("track", "short_term", 1, "tr4", "Duet", None),
        ("track", "short_term", 2, "tr3", "Old One", None),
    ],
    # A weekly run without listening documents: empty tables, no files (test_glue_listening.py covers their rows).
    "plays": [],
    "saved_tracks": [],
    "followed_artists": [],
    "library_snapshots": [],
    "listener_profiles": [],
    # A run from before listeners: its playlists are nobody's in particular.
    "playlist_listeners": [],
    # Nor an imported export (test_glue_streams.py covers it).
    "streams": [],
}

RUN_VALUES = {"run_id": RUN_ID, "extract_date": D(2026, 11, 25), "extracted_at": T(2026, 11, 25, 6, 0, 0)}


def test_every_table_has_exactly_the_expected_rows(spark, golden):
    bucket, result = golden
    from spotify_transform.schemas import load_schemas

    schemas = load_schemas()
    assert sorted(EXPECTED) == sorted(schemas.data_table_names)
    run_values = {**RUN_VALUES, "attempt_id": result["attempt_id"]}
    for table, expected in EXPECTED.items():
        names = [c.name for c in schemas.table(table).columns if c.name not in run_values]
        rows = bucket.rows(spark, table)
        actual = sorted((tuple(row[n] for n in names) for row in rows), key=repr)
        assert actual == sorted(expected, key=repr), table
        for row in rows:
            assert {k: row[k] for k in run_values} == run_values, table


def test_the_commit_record_lists_every_table_with_its_rows_and_files(spark, golden):
    bucket, result = golden
    rows = bucket.rows(spark, "transform_commits")
    assert sorted((r["table_name"], r["row_count"], r["file_count"]) for r in rows) == sorted(
        (name, len(expected), 1 if expected else 0) for name, expected in EXPECTED.items()
    )
    committed_at = {r["committed_at"] for r in rows}
    assert len(committed_at) == 1 and result["committed_at"].startswith(committed_at.pop().isoformat()[:19])
    assert {(r["run_id"], r["attempt_id"], r["extract_date"]) for r in rows} == {(RUN_ID, result["attempt_id"], D(2026, 11, 25))}


def test_result_summary_counts_tables_rejects_and_objects(golden):
    bucket, result = golden
    assert result["run_id"] == RUN_ID
    assert result["attempt_id"].startswith("local-")
    assert result["extract_date"] == EXTRACT_DATE
    assert result["paging_issues"] == {}
    assert result["superseded_attempts"] == {"superseded": [], "newer": [], "tagged_objects": 0, "error": None}
    assert result["manifest_status"] == "partial" and result["manifest_errors"] == 1
    assert {name: t["rows"] for name, t in result["tables"].items()} == {k: len(v) for k, v in EXPECTED.items()}
    assert all(t["files"] == (1 if t["rows"] else 0) for t in result["tables"].values())
    assert result["input_objects"] == 4
    # stray.json sits in the run folder but not in the manifest: listed as unlisted, never read into a table.
    assert result["objects"] == {"parsed": 4, "rejected": 0, "missing": 0, "unlisted": 1}
    assert result["rejects"] == 1
    assert result["seconds"] > 0


def test_the_unparseable_item_goes_to_rejects_with_its_reason(golden):
    bucket, _ = golden
    assert bucket.rejects_lines() == [
        {
            "run_id": RUN_ID,
            "extract_date": EXTRACT_DATE,
            "object_key": f"raw/extract_date={EXTRACT_DATE}/run_id={RUN_ID}/playlists/pl1AAAAAAAAAAAAAAAAAAA.json",
            "locator": "item_pages[1].items[3]",
            "reason": "playlist item is not a JSON object",
            "record": "not an item object",
        }
    ]


def test_output_folders_hold_only_parquet_under_the_attempt(golden):
    bucket, result = golden
    written = [table for table, rows in EXPECTED.items() if rows]
    for table in [*written, "transform_commits"]:
        assert [p.name for p in bucket.run_table_dir(table).iterdir()] == [f"attempt_id={result['attempt_id']}"]
        names = sorted(p.name for p in bucket.table_dir(table).iterdir())
        assert len(names) == 1 and names[0].startswith("part-") and names[0].endswith(".parquet"), names
        assert result["tables"].get(table, {"path": None})["path"] in (None, f"file://{bucket.table_dir(table)}/")
    # A table without rows gets no file and no folder: its commit row says 0 rows, 0 files.
    assert all(result["tables"][table] == {"rows": 0, "files": 0, "path": None} for table in EXPECTED if table not in written)
    assert [p.name for p in bucket.rejects_dir().iterdir()][0].endswith(".json")
    assert sorted(p.name for p in bucket.processed.iterdir()) == sorted([*written, "transform_commits"])
    assert sorted(p.name for p in bucket.root.iterdir()) == ["processed", "raw", "rejects"]
