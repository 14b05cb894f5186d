"""Attempt ids, and superseding older attempts after a commit: the S3 path runs through boto3 against moto's S3
server (the real protocol, no mocked client), the local path on a folder."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from spotify_transform.attempts import (
    SUPERSEDED_TAG_KEY,
    SUPERSEDED_TAG_VALUE,
    AttemptError,
    StoredObject,
    attempts_to_supersede,
    new_attempt_id,
    supersede_on_s3,
    validate_attempt_id,
)

RUN = "run_id=20261125T060000Z-a1b2c3"
DATE = "extract_date=2026-11-25"


def test_local_attempt_ids_are_time_ordered_and_unique():
    at = dt.datetime(2026, 11, 25, 9, 10, 37, tzinfo=dt.timezone.utc)
    ids = {new_attempt_id(at) for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"local-20261125T091037Z-[0-9a-f]{8}", i) for i in ids)


@pytest.mark.parametrize("attempt_id", ["jr_0123abcdef", "local-20261125T091037Z-3f9a1c2b", "a"])
def test_glue_job_run_ids_and_local_ids_are_valid(attempt_id):
    assert validate_attempt_id(attempt_id) == attempt_id


@pytest.mark.parametrize("attempt_id", ["", "../up", "a/b", "x=y", "-leading", "a" * 129])
def test_an_attempt_id_must_be_usable_in_a_key(attempt_id):
    with pytest.raises(AttemptError):
        validate_attempt_id(attempt_id)


def _objects(*names_and_minutes):
    base = dt.datetime(2026, 11, 25, 6, tzinfo=dt.timezone.utc)
    return {name: [StoredObject(f"t/{DATE}/{RUN}/attempt_id={name}/part.parquet", base + dt.timedelta(minutes=m))]
            for name, m in names_and_minutes}


def test_older_and_uncommitted_attempts_are_superseded_a_newer_commit_is_not():
    data = _objects(("old", 0), ("crashed", 5), ("mine", 10), ("later", 12))
    commits = _objects(("old", 1), ("mine", 11), ("later", 13))
    assert attempts_to_supersede(data, commits, "mine") == (["crashed", "old"], ["later"])


@pytest.fixture(scope="module")
def s3():
    import boto3  # moto[server] (requirements.txt) brings it
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3", endpoint_url=f"http://{host}:{port}", region_name="eu-west-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="pipeline", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield client
    server.stop()


def _put(s3, key):
    s3.put_object(Bucket="pipeline", Key=key, Body=b"parquet")


def _tags(s3, key):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket="pipeline", Key=key)["TagSet"]}


def test_on_s3_every_object_of_a_superseded_attempt_is_tagged_for_the_lifecycle_rule(s3):
    keys = {}
    for attempt in ("jr_old", "jr_crashed", "jr_mine"):
        for table in ("playlist_tracks", "tracks"):
            keys[(attempt, table)] = f"processed/{table}/{DATE}/{RUN}/attempt_id={attempt}/part-00000.parquet"
            _put(s3, keys[(attempt, table)])
    for attempt in ("jr_old", "jr_mine"):  # jr_crashed never committed
        keys[(attempt, "transform_commits")] = f"processed/transform_commits/{DATE}/{RUN}/attempt_id={attempt}/part-00000.parquet"
        _put(s3, keys[(attempt, "transform_commits")])
    other_run = f"processed/tracks/{DATE}/run_id=20261118T060000Z-zzzzzz/attempt_id=jr_other/part-00000.parquet"
    _put(s3, other_run)

    report = supersede_on_s3(s3, "s3://pipeline/processed/", ["playlist_tracks", "tracks"], "transform_commits",
                             "2026-11-25", "20261125T060000Z-a1b2c3", "jr_mine")

    assert report.superseded == ["jr_crashed", "jr_old"] and report.newer == [] and report.error is None
    assert report.tagged_objects == 5
    superseded = {SUPERSEDED_TAG_KEY: SUPERSEDED_TAG_VALUE}
    for (attempt, _table), key in keys.items():
        assert _tags(s3, key) == (superseded if attempt != "jr_mine" else {}), key
    assert _tags(s3, other_run) == {}  # another run's attempts are none of this attempt's business
