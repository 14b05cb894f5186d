"""Runs as a whole: re-runs replace, incomplete runs are never processed, bad objects become rejects."""

from __future__ import annotations

import hashlib
import json

import pytest

from glue_testing import RUN_ID, Bucket
from spotify_transform.job import TransformError


def _manifest(bucket):
    return json.loads((bucket.run_dir / "_manifest.json").read_text(encoding="utf-8"))


def _write_manifest(bucket, manifest):
    (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(scope="module")
def rerun(spark, tmp_path_factory):
    """One run transformed twice (attempt-1, then attempt-2): (bucket, first result, second result, first files)."""
    bucket = Bucket.with_fixture_run(tmp_path_factory.mktemp("rerun"))
    first = bucket.transform(spark, attempt_id="attempt-1")
    first_files = {t: _files(bucket.table_dir(t, "attempt-1")) for t in [*first["tables"], "transform_commits"]}
    second = bucket.transform(spark, attempt_id="attempt-2")
    return bucket, first, second, first_files


def test_a_rerun_is_a_new_attempt_beside_the_old_one_which_it_never_touches(spark, rerun):
    bucket, first, second, first_files = rerun
    assert {t: v["rows"] for t, v in second["tables"].items()} == {t: v["rows"] for t, v in first["tables"].items()}
    written = [t for t, v in second["tables"].items() if v["rows"]]
    assert written and len(written) < len(second["tables"])  # the fixture run has no listening documents
    for table in [*written, "transform_commits"]:
        assert _files(bucket.run_table_dir(table)) == ["attempt_id=attempt-1", "attempt_id=attempt-2"], table
        assert _files(bucket.table_dir(table, "attempt-1")) == first_files[table], table  # untouched
        assert len(_files(bucket.table_dir(table, "attempt-2"))) == 1, table
    assert len(bucket.rejects_lines()) == second["rejects"] == 1
    assert len(_files(bucket.rejects_dir("attempt-1"))) == 1
    # Locally there is no lifecycle: the superseded attempt is reported, and stays until `make clean-local`.
    assert second["superseded_attempts"] == {"superseded": ["attempt-1"], "newer": [], "tagged_objects": 0, "error": None}
    rows = bucket.rows(spark, "playlist_tracks")
    assert {r["attempt_id"] for r in rows} == {"attempt-2"} and len(rows) == first["tables"]["playlist_tracks"]["rows"]


def test_an_attempt_id_is_used_once(spark, rerun):
    bucket = rerun[0]
    with pytest.raises(TransformError, match="attempt attempt-1 of run .* has already written .*an attempt id is used once"):
        bucket.transform(spark, attempt_id="attempt-1")


def test_an_attempt_that_fails_before_its_commit_leaves_no_commit_and_nothing_of_its_own(spark, rerun):
    bucket = rerun[0]

    def crash(table):
        if table == "tracks":
            raise RuntimeError("executor lost while publishing")

    with pytest.raises(RuntimeError, match="executor lost"):
        bucket.transform(spark, attempt_id="attempt-3", fail_before_commit=crash)

    for table in ("playlist_tracks", "tracks", "transform_commits"):
        assert _files(bucket.run_table_dir(table)) == ["attempt_id=attempt-1", "attempt_id=attempt-2"], table
    assert _files(bucket.rejects.joinpath(f"extract_date={bucket.extract_date}", f"run_id={RUN_ID}")) == [
        "attempt_id=attempt-1", "attempt_id=attempt-2",
    ]


def test_an_attempt_id_that_cannot_be_a_key_is_refused_before_reading_anything(spark, bucket):
    with pytest.raises(TransformError, match="attempt id '../x' must be 1-128 letters, digits"):
        bucket.transform(spark, attempt_id="../x")
    assert not bucket.processed.exists()


def test_a_position_beyond_the_int_range_rejects_its_item_and_the_run_goes_on(spark, bucket):
    target = bucket.run_dir / "playlists" / "pl2BBBBBBBBBBBBBBBBBBB.json"
    doc = json.loads(target.read_text(encoding="utf-8"))
    doc["item_pages"][0]["offset"] = 2147483646  # its 4 items would sit at 2147483646 .. 2147483649
    target.write_text(json.dumps(doc), encoding="utf-8")
    manifest = _manifest(bucket)
    for entry in manifest["objects"]:
        if entry["key"].endswith("pl2BBBBBBBBBBBBBBBBBBB.json"):
            entry["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    _write_manifest(bucket, manifest)

    result = bucket.transform(spark)

    positions = sorted((r["playlist_id"], r["position"]) for r in bucket.rows(spark, "playlist_tracks"))
    assert positions[:6] == [("pl1AAAAAAAAAAAAAAAAAAA", p) for p in range(6)]
    assert positions[6:] == [("pl2BBBBBBBBBBBBBBBBBBB", 2147483646), ("pl2BBBBBBBBBBBBBBBBBBB", 2147483647)]
    beyond = [r for r in bucket.rejects_lines() if "beyond the largest position" in r["reason"]]
    assert [r["locator"] for r in beyond] == ["item_pages[0].items[2]", "item_pages[0].items[3]"]
    assert result["rejects"] == 3
    assert result["paging_issues"] == {"pl2BBBBBBBBBBBBBBBBBBB": "positions_beyond_total,missing_positions"}


def test_no_manifest_means_nothing_is_processed(spark, bucket):
    (bucket.run_dir / "_manifest.json").unlink()
    with pytest.raises(TransformError, match=r"no _manifest\.json under .*the extract run is incomplete.*nothing was processed"):
        bucket.transform(spark)
    assert not bucket.processed.exists()
    assert not bucket.rejects.exists()


def test_checksum_mismatch_sends_the_object_to_rejects_and_the_rest_is_processed(spark, bucket):
    target = bucket.run_dir / "playlists" / "pl2BBBBBBBBBBBBBBBBBBB.json"
    target.write_text(target.read_text(encoding="utf-8").replace("東京 Nights", "Tampered"), encoding="utf-8")

    result = bucket.transform(spark)

    assert result["objects"]["rejected"] == 1
    mismatch = [r for r in bucket.rejects_lines() if r["object_key"].endswith("pl2BBBBBBBBBBBBBBBBBBB.json")]
    assert len(mismatch) == 1 and mismatch[0]["reason"].startswith("checksum mismatch: the manifest says sha256 ")
    assert {r["playlist_id"] for r in bucket.rows(spark, "playlist_snapshots")} == {"pl1AAAAAAAAAAAAAAAAAAA"}
    assert {r["playlist_id"] for r in bucket.rows(spark, "playlist_tracks")} == {"pl1AAAAAAAAAAAAAAAAAAA"}
    assert result["tables"]["user_top_items"]["rows"] == 3


def test_an_object_listed_but_missing_is_a_reject(spark, bucket):
    (bucket.run_dir / "top" / "artists_short_term.json").unlink()
    result = bucket.transform(spark)
    assert result["objects"]["missing"] == 1
    missing = [r for r in bucket.rejects_lines() if r["object_key"].endswith("top/artists_short_term.json")]
    assert len(missing) == 1 and missing[0]["reason"].startswith("listed in the manifest but not found")
    assert {r["item_type"] for r in bucket.rows(spark, "user_top_items")} == {"track"}


def test_a_manifest_of_another_run_is_refused(spark, bucket):
    manifest = _manifest(bucket)
    manifest["run_id"] = "20261118T060000Z-zzzzzz"
    _write_manifest(bucket, manifest)
    with pytest.raises(TransformError, match="must name the same run"):
        bucket.transform(spark)
    assert not bucket.processed.exists()


def test_an_empty_run_publishes_empty_tables(spark, bucket):
    manifest = _manifest(bucket)
    manifest["objects"] = []
    _write_manifest(bucket, manifest)
    result = bucket.transform(spark)
    # Empty tables are published by the commit record alone: 0 rows, 0 files, no folder.
    assert all(t == {"rows": 0, "files": 0, "path": None} for t in result["tables"].values())
    assert sorted(p.name for p in bucket.processed.iterdir()) == ["transform_commits"]
    assert result["rejects"] == 0 and not bucket.rejects_dir().exists()
    # An empty run still commits: its (empty) tables are the run's answer.
    assert sorted(r["row_count"] for r in bucket.rows(spark, "transform_commits")) == [0] * len(result["tables"])


def test_a_bad_run_id_is_refused_before_reading_anything(spark, bucket):
    with pytest.raises(TransformError, match="does not match YYYYMMDDTHHMMSSZ-xxxxxx"):
        bucket.transform(spark, run_id="latest")


def test_a_table_in_tables_json_the_job_does_not_produce_stops_the_run_before_reading(spark, bucket):
    from spotify_transform.schemas import find_schema_file, parse_schemas

    document = json.loads(find_schema_file().read_text(encoding="utf-8"))
    document["tables"]["saved_episodes"] = {"kind": "fact", "key": ["run_id", "episode_id"],
                                          "columns": [{"name": "episode_id", "type": "string", "nullable": False}]}
    with pytest.raises(TransformError, match=r"defines table\(s\) \['saved_episodes'\] that this job does not produce"):
        bucket.transform(spark, schemas=parse_schemas(document, "tables.json"))
    assert not bucket.processed.exists()
