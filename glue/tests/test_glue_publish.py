"""Runs as a whole: re-runs replace, incomplete runs are never processed, bad objects become rejects."""

from __future__ import annotations

import json

import pytest

from glue_testing import RUN_ID
from spotify_transform.job import TransformError


def _manifest(bucket):
    return json.loads((bucket.run_dir / "_manifest.json").read_text(encoding="utf-8"))


def _write_manifest(bucket, manifest):
    (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_rerun_of_the_same_run_id_replaces_its_output(spark, bucket):
    first = bucket.transform(spark)
    first_files = {t: sorted(p.name for p in bucket.table_dir(t).iterdir()) for t in first["tables"]}
    # A leftover from some earlier attempt must not survive the re-run either.
    (bucket.table_dir("tracks") / "part-99999-leftover.parquet").write_bytes(b"stale")

    second = bucket.transform(spark)

    assert {t: v["rows"] for t, v in second["tables"].items()} == {t: v["rows"] for t, v in first["tables"].items()}
    for table in second["tables"]:
        names = sorted(p.name for p in bucket.table_dir(table).iterdir())
        assert len(names) == 1 and names != first_files[table], table  # new file, old one gone, nothing added
    assert len(bucket.rows(spark, "playlist_tracks")) == first["tables"]["playlist_tracks"]["rows"]
    assert len(bucket.rejects_lines()) == second["rejects"] == 1
    assert not (bucket.root / "_staging").joinpath(RUN_ID).exists()


def test_no_manifest_means_nothing_is_processed(spark, bucket):
    (bucket.run_dir / "_manifest.json").unlink()
    with pytest.raises(TransformError, match=r"no _manifest\.json under .*the extract run is incomplete.*nothing was processed"):
        bucket.transform(spark)
    assert not bucket.processed.exists()
    assert not bucket.rejects.exists()
    assert not (bucket.root / "_staging").exists()


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
    assert all(t["rows"] == 0 and t["files"] == 1 for t in result["tables"].values())
    assert result["rejects"] == 0 and not bucket.rejects_dir().exists()


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
