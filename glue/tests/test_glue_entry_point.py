"""glue/transform_job.py: Glue's argument style without Glue, and a batch of runs in one job run. The local command
line the pipeline runs (local/spark/run_glue_job.py) is tested in local/spark/tests."""

from __future__ import annotations

import json
import sys

import pytest

from glue_testing import GLUE_DIR, RUN_ID

sys.path.insert(0, str(GLUE_DIR))
import transform_job  # noqa: E402


def test_parses_glue_style_arguments_without_glue():
    assert transform_job.ON_GLUE is False
    # The argv Glue hands the script: its own arguments mixed with the job's.
    argv = [
        "transform_job.py",
        "--JOB_ID", "j_0123",
        "--JOB_RUN_ID", "jr_abcdef",
        "--job-bookmark-option", "job-bookmark-disable",
        "--TempDir", "s3://bucket/tmp/",
        "--enable-metrics", "true",
        "--JOB_NAME", "spotify-pipeline-dev-transform",
        "--RAW_RUN_PREFIX", f"s3://bucket/raw/extract_date=2026-11-25/run_id={RUN_ID}/",
        "--PROCESSED_PREFIX", "s3://bucket/processed/",
        "--REJECTS_PREFIX", "s3://bucket/rejects/",
        "--RUN_ID", RUN_ID,
        "--SCHEMA_PATH=tables.json",
    ]
    assert transform_job.parse_args(argv) == {
        "JOB_NAME": "spotify-pipeline-dev-transform",
        "JOB_RUN_ID": "jr_abcdef",  # Glue's job run id: the attempt id
        "RAW_RUN_PREFIX": f"s3://bucket/raw/extract_date=2026-11-25/run_id={RUN_ID}/",
        "PROCESSED_PREFIX": "s3://bucket/processed/",
        "REJECTS_PREFIX": "s3://bucket/rejects/",
        "RUN_ID": RUN_ID,
        "SCHEMA_PATH": "tables.json",
    }


def test_glue_resolver_is_asked_for_required_and_present_optional_names():
    asked = {}

    def get_resolved_options(argv, names):  # the signature of awsglue.utils.getResolvedOptions
        asked["names"] = names
        return {name: "v" for name in names}

    transform_job.parse_args(["x", "--RUN_ID", "r", "--SCHEMA_PATH", "tables.json"], get_resolved_options)
    assert asked["names"] == ["RAW_RUN_PREFIX", "PROCESSED_PREFIX", "REJECTS_PREFIX", "RUN_ID", "JOB_NAME", "SCHEMA_PATH"]


def test_missing_arguments_are_named():
    with pytest.raises(transform_job.UsageError, match="missing argument\\(s\\) --PROCESSED_PREFIX, --REJECTS_PREFIX"):
        transform_job.parse_args(["x", "--RAW_RUN_PREFIX", "/r/", "--RUN_ID", RUN_ID])


def test_a_batch_pairs_run_ids_with_their_prefixes_in_order():
    args = {"RUN_ID": "r1, r2", "RAW_RUN_PREFIX": "s3://b/raw/a/,s3://b/raw/b/"}
    assert transform_job.runs_of(args) == [("r1", "s3://b/raw/a/"), ("r2", "s3://b/raw/b/")]
    with pytest.raises(transform_job.UsageError, match="--RUN_ID names 2 run\\(s\\) and --RAW_RUN_PREFIX 1 prefix"):
        transform_job.runs_of({"RUN_ID": "r1,r2", "RAW_RUN_PREFIX": "s3://b/raw/a/"})


def test_a_batch_transforms_each_run_as_its_own_committed_attempt(spark, tmp_path, monkeypatch, capsys):
    """The daily plays batch: one job run, several (small) plays runs; each gets its attempt and commit record."""
    from glue_testing import FIXTURES, Bucket

    sys.path.insert(0, str(FIXTURES))
    from refresh_manifest import manifest_for

    runs = {"20261125T070000Z-p1a2b3": "2026-11-25T06:50:00.000Z", "20261125T080000Z-p4c5d6": "2026-11-25T07:55:00.000Z"}
    prefixes = []
    for run_id, played_at in runs.items():
        bucket = Bucket(tmp_path, run_id=run_id, extract_date="2026-11-25")
        doc = {"kind": "plays", "spotify_user_id": "user1", "listener_name": "ana",
               "pages": [{"items": [{"played_at": played_at, "track": {"id": "tr1", "name": "One", "type": "track"}, "context": None}]}]}
        (bucket.run_dir / "plays").mkdir(parents=True)
        (bucket.run_dir / "plays" / "user1.json").write_text(json.dumps(doc))
        (bucket.run_dir / "_manifest.json").write_text(json.dumps(manifest_for(bucket.run_dir, run_id, "2026-11-25")))
        prefixes.append(f"{bucket.run_dir}/")
    monkeypatch.setattr(spark, "stop", lambda: None)  # main() stops its session; this one is the suite's
    code = transform_job.main([
        "transform_job.py",
        "--RAW_RUN_PREFIX", ",".join(prefixes),
        "--PROCESSED_PREFIX", str(tmp_path / "processed") + "/",
        "--REJECTS_PREFIX", str(tmp_path / "rejects") + "/",
        "--RUN_ID", ",".join(runs),
        "--ATTEMPT_ID", "batch-attempt",
    ])
    assert code == 0
    results = [json.loads(line[len(transform_job.RESULT_PREFIX):]) for line in capsys.readouterr().out.splitlines() if line.startswith(transform_job.RESULT_PREFIX)]
    assert [(r["run_id"], r["attempt_id"], r["tables"]["plays"]["rows"]) for r in results] == [(run_id, "batch-attempt", 1) for run_id in runs]
    for run_id in runs:
        commits = tmp_path / "processed" / "transform_commits" / "extract_date=2026-11-25" / f"run_id={run_id}" / "attempt_id=batch-attempt"
        assert any(p.suffix == ".parquet" for p in commits.iterdir())

    # A batch with a broken run: the other run is still transformed and reported; the job fails naming the broken one.
    broken = Bucket(tmp_path, run_id="20261125T090000Z-p7e8f9", extract_date="2026-11-25")
    broken.run_dir.mkdir(parents=True)
    (broken.run_dir / "_manifest.json").write_text("{ not json")
    first = next(iter(runs))
    code = transform_job.main([
        "transform_job.py",
        "--RAW_RUN_PREFIX", f"{broken.run_dir}/,{prefixes[0]}",
        "--PROCESSED_PREFIX", str(tmp_path / "processed") + "/",
        "--REJECTS_PREFIX", str(tmp_path / "rejects") + "/",
        "--RUN_ID", f"20261125T090000Z-p7e8f9,{first}",
    ])
    assert code == 2
    out = capsys.readouterr()
    results = [json.loads(line[len(transform_job.RESULT_PREFIX):]) for line in out.out.splitlines() if line.startswith(transform_job.RESULT_PREFIX)]
    assert [r["run_id"] for r in results] == [first]
    assert "transform failed: run 20261125T090000Z-p7e8f9:" in out.err and "is not valid JSON" in out.err
