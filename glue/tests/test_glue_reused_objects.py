"""Manifest v2: a playlist unchanged since its last complete fetch is not fetched again; the run's manifest points
at the earlier run's raw object (key + sha256 + fetched_in_run) and the job reads that object for this run."""

from __future__ import annotations

import json
import shutil

import pytest

from glue_testing import EXTRACT_DATE, RUN_ID, Bucket
from spotify_transform.job import TransformError
from spotify_transform.manifest import ManifestError, input_locations, parse_manifest

LATER_RUN = "20261202T060000Z-b2c3d4"
LATER_DATE = "2026-12-02"
REUSED = "pl1AAAAAAAAAAAAAAAAAAA"
FETCHED = "pl2BBBBBBBBBBBBBBBBBBB"
MEMBERS = [{"listener": "sam", "spotify_user_id": "u-sam", "role": "collaborator"}, {"listener": "mira", "spotify_user_id": "u-mira", "role": "owner"}]


def _later_run(bucket: Bucket) -> Bucket:
    """A second run in the same bucket: pl2 fetched again (same bytes), pl1 reused from the fixture run."""
    later = Bucket(bucket.root, run_id=LATER_RUN, extract_date=LATER_DATE)
    (later.run_dir / "playlists").mkdir(parents=True)
    shutil.copy(bucket.run_dir / "playlists" / f"{FETCHED}.json", later.run_dir / "playlists" / f"{FETCHED}.json")
    earlier = json.loads((bucket.run_dir / "_manifest.json").read_text(encoding="utf-8"))
    by_id = {o["entity_id"]: o for o in earlier["objects"]}
    fetched = dict(by_id[FETCHED], key=f"raw/extract_date={LATER_DATE}/run_id={LATER_RUN}/playlists/{FETCHED}.json", fetched_in_run=LATER_RUN)
    # The key stays the fixture run's; whose playlist it is, is this run's own answer.
    reused = dict(by_id[REUSED], fetched_in_run=RUN_ID, belongs_to=MEMBERS)
    manifest = dict(
        earlier,
        manifest_version=2,
        run_id=LATER_RUN,
        extract_date=LATER_DATE,
        started_at=f"{LATER_DATE}T06:00:00.000Z",
        status="complete",
        errors=[],
        objects=[fetched, reused],
    )
    (later.run_dir / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return later


def test_the_reused_object_is_read_for_the_later_run(spark, bucket, golden):
    fixture_run, first = golden  # the fixture run, transformed once for the session
    later = _later_run(bucket)

    result = later.transform(spark)

    assert result["objects"] == {"parsed": 2, "rejected": 0, "missing": 0, "unlisted": 0}
    rows = later.rows(spark, "playlist_tracks")
    assert {r["run_id"] for r in rows} == {LATER_RUN}
    assert {str(r["extract_date"]) for r in rows} == {LATER_DATE}
    earlier = [r for r in fixture_run.rows(spark, "playlist_tracks") if r["playlist_id"] == REUSED]
    mine = [r for r in rows if r["playlist_id"] == REUSED]
    key = lambda r: r["position"]  # noqa: E731
    drop = {"run_id", "extract_date", "extracted_at", "attempt_id"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in sorted(mine, key=key)] == [
        {k: v for k, v in r.items() if k not in drop} for r in sorted(earlier, key=key)
    ]
    assert {r["playlist_id"] for r in later.rows(spark, "playlist_snapshots")} == {REUSED, FETCHED}
    # Both playlists, one read from the earlier run's object: the later run's snapshot is complete.
    assert len(rows) == first["tables"]["playlist_tracks"]["rows"]
    # The reused playlist belongs to the listeners this run's manifest names (the other one's run predates listeners).
    members = sorted((r["playlist_id"], r["spotify_user_id"], r["listener_name"], r["role"], r["run_id"]) for r in later.rows(spark, "playlist_listeners"))
    assert members == [(REUSED, "u-mira", "mira", "owner", LATER_RUN), (REUSED, "u-sam", "sam", "collaborator", LATER_RUN)]


def test_reused_objects_that_are_gone_or_changed_are_reported_and_the_rest_is_processed(spark, bucket):
    later = _later_run(bucket)
    doc = json.loads((later.run_dir / "_manifest.json").read_text(encoding="utf-8"))
    # Both playlists now point at the fixture run's objects: one was deleted since, the other altered.
    earlier = json.loads((bucket.run_dir / "_manifest.json").read_text(encoding="utf-8"))
    doc["objects"] = [dict(o, fetched_in_run=RUN_ID) for o in earlier["objects"] if o["kind"] == "playlist"]
    (later.run_dir / "_manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    (later.run_dir / "playlists" / f"{FETCHED}.json").unlink()
    (bucket.run_dir / "playlists" / f"{REUSED}.json").unlink()
    changed = bucket.run_dir / "playlists" / f"{FETCHED}.json"
    changed.write_text(changed.read_text(encoding="utf-8").replace('"name"', '"name" ', 1), encoding="utf-8")

    result = later.transform(spark)

    assert result["objects"] == {"parsed": 0, "rejected": 1, "missing": 1, "unlisted": 0}
    assert later.rows(spark, "playlist_tracks") == []
    reasons = {r["object_key"].rsplit("/", 1)[1]: r["reason"] for r in later.rejects_lines()}
    assert reasons[f"{REUSED}.json"].startswith("listed in the manifest but not found")
    assert reasons[f"{FETCHED}.json"].startswith("checksum mismatch")
    assert all(f"run_id={RUN_ID}/" in r["object_key"] for r in later.rejects_lines())


def test_input_locations_name_own_folders_and_reused_files(bucket):
    later = _later_run(bucket)
    doc = json.loads((later.run_dir / "_manifest.json").read_text(encoding="utf-8"))
    manifest = parse_manifest(doc, LATER_RUN, "m")
    root = "s3://bucket/"
    raw = f"{root}raw/extract_date={LATER_DATE}/run_id={LATER_RUN}/"
    assert input_locations(manifest, raw) == [
        f"{raw}playlists/",
        f"{root}raw/extract_date={EXTRACT_DATE}/run_id={RUN_ID}/playlists/{REUSED}.json",
    ]
    with pytest.raises(ManifestError, match="does not end in raw/extract_date=2026-12-02"):
        input_locations(manifest, "s3://bucket/elsewhere/")


def test_pointers_are_only_valid_in_version_2_and_must_name_a_run(bucket):
    later = _later_run(bucket)
    doc = json.loads((later.run_dir / "_manifest.json").read_text(encoding="utf-8"))
    with pytest.raises(ManifestError, match="invalid fetched_in_run"):
        parse_manifest(dict(doc, manifest_version=1), LATER_RUN, "m")
    bad = dict(doc, objects=[dict(o, fetched_in_run="not-a-run") if o["entity_id"] == REUSED else o for o in doc["objects"]])
    with pytest.raises(ManifestError, match="invalid fetched_in_run 'not-a-run'"):
        parse_manifest(bad, LATER_RUN, "m")
    # A key that is not under the run it claims is refused too.
    wrong = dict(doc, objects=[dict(o, fetched_in_run="20261118T060000Z-000000") if o["entity_id"] == REUSED else o for o in doc["objects"]])
    with pytest.raises(ManifestError, match="is not under run_id=20261118T060000Z-000000"):
        parse_manifest(wrong, LATER_RUN, "m")


def test_a_run_prefix_outside_the_bucket_layout_fails_the_run_with_nothing_processed(spark, bucket, tmp_path):
    later = _later_run(bucket)
    elsewhere = tmp_path / "copied-run"
    shutil.copytree(later.run_dir, elsewhere)
    with pytest.raises(TransformError, match="nothing was processed"):
        later.transform(spark, raw_run_prefix=str(elsewhere) + "/")
