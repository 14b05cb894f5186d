"""A plays run (the hourly poll, and each run of the daily batch) writes files only for the tables it has rows for;
its commit record still lists every data table, the empty ones with 0 rows and 0 files, so the views treat the
attempt as fully loaded (attempt_loads compares loaded rows with the commit; snowflake-sql/tests checks the views)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from glue_testing import Bucket

RUN_ID = "20261125T190000Z-pa1b2c"
EXTRACT_DATE = "2026-11-25"
USER = "31qpxj4w7fakeusr2tz6klm3yb"


def plays_run(root: Path, items: list) -> Bucket:
    bucket = Bucket(root, run_id=RUN_ID, extract_date=EXTRACT_DATE)
    doc = {"kind": "plays", "spotify_user_id": USER, "listener_name": "sam", "display_name": "Sam", "pages": [{"items": items, "limit": 50}]}
    data = json.dumps(doc).encode()
    relative = f"plays/{USER}.json"
    (bucket.run_dir / "plays").mkdir(parents=True)
    (bucket.run_dir / relative).write_bytes(data)
    manifest = {
        "manifest_version": 2, "run_id": RUN_ID, "extract_date": EXTRACT_DATE, "started_at": "2026-11-25T19:00:00.000Z",
        "finished_at": "2026-11-25T19:00:01.000Z", "status": "complete", "stopped_early": None, "mode": "plays",
        "objects": [{"key": f"raw/extract_date={EXTRACT_DATE}/run_id={RUN_ID}/{relative}", "kind": "plays", "entity_id": "sam",
                     "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "items": len(items), "pages": 1,
                     "fetched_in_run": RUN_ID, "spotify_user_id": USER}],
        "errors": [],
    }
    (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest))
    return bucket


def _play(played_at: str, track_id: str) -> dict:
    track = {"id": track_id, "name": track_id, "type": "track", "duration_ms": 1000, "album": {"id": "al1", "name": "A"},
             "artists": [{"id": "ar1", "name": "R"}]}
    return {"played_at": played_at, "track": track, "context": None}


def _files(bucket: Bucket) -> dict[str, list[str]]:
    """Per table folder of the processed layout: the data files this run's attempt wrote."""
    found = {}
    for table_dir in sorted(bucket.processed.iterdir()):
        attempt = bucket.run_table_dir(table_dir.name) / f"attempt_id={bucket.attempt_id}"
        if attempt.is_dir():
            found[table_dir.name] = sorted(p.name for p in attempt.iterdir())
    return found


def test_a_plays_run_writes_files_only_for_tables_with_rows_and_commits_every_table(spark, tmp_path):
    bucket = plays_run(tmp_path, [_play("2026-11-25T18:30:00.000Z", "trA"), _play("2026-11-25T18:33:00.000Z", "trB")])
    result = bucket.transform(spark)

    with_rows = {"plays", "tracks", "albums", "artists", "track_artists", "listener_profiles"}
    files = _files(bucket)
    assert set(files) == with_rows | {"transform_commits"}
    assert all(len(names) == 1 and names[0].endswith(".parquet") for names in files.values()), files
    empty = {name for name, t in result["tables"].items() if t["rows"] == 0}
    assert empty == set(result["tables"]) - with_rows
    assert all(result["tables"][name]["files"] == 0 for name in empty)

    # The commit record lists every data table, the empty ones with 0 rows and 0 files.
    commits = {row["table_name"]: (row["row_count"], row["file_count"]) for row in bucket.rows(spark, "transform_commits")}
    assert set(commits) == set(result["tables"])
    assert {name for name, (rows, files_) in commits.items() if rows == 0} == empty
    assert all(commits[name] == (0, 0) for name in empty)
    assert commits["plays"] == (2, 1)
