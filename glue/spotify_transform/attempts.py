"""Transform attempts: their ids, where their files go, and how a newer commit supersedes the older attempts.

A run id (one extraction) may be transformed more than once: a retry, a re-run after the raw run was re-extracted.
Each transform is an attempt with its own id (Glue's job run id; locally a generated one), written as the
attempt_id column and into its keys:

    processed/<table>/extract_date=D/run_id=R/attempt_id=A/part-*.parquet
    processed/transform_commits/extract_date=D/run_id=R/attempt_id=A/part-*.parquet   <- the commit record, last

An attempt never deletes or renames another attempt's files. The warehouse views read only the latest committed
attempt of each run id (docs/data-contracts.md). Once an attempt has committed, the older attempts of its run are
superseded: on S3 their objects are tagged, and the bucket's lifecycle rule expires tagged objects
(stacks/storage-stack.ts). Locally there is no lifecycle: superseded attempts stay until `make clean-local`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlparse

ATTEMPT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
ATTEMPT_FOLDER = re.compile(r"/attempt_id=([^/]+)/")
# The object tag the S3 lifecycle rule expires (stacks/storage-stack.ts: SUPERSEDED_ATTEMPT_TAG).
SUPERSEDED_TAG_KEY = "pipeline-attempt"
SUPERSEDED_TAG_VALUE = "superseded"


class AttemptError(ValueError):
    pass


def new_attempt_id(now: dt.datetime | None = None) -> str:
    """A local attempt id: `local-<UTC time>-<random>`, e.g. local-20261125T091037Z-3f9a1c2b."""
    at = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return f"local-{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def validate_attempt_id(attempt_id: str) -> str:
    if not isinstance(attempt_id, str) or not ATTEMPT_ID.match(attempt_id):
        raise AttemptError(
            f"attempt id {attempt_id!r} must be 1-128 letters, digits, '_' or '-' (Glue's job run ids, e.g. jr_0a1b..., are)"
        )
    return attempt_id


def run_folder(prefix: str, table: str | None, extract_date: str, run_id: str) -> str:
    """`<prefix><table>/extract_date=D/run_id=R/` (no table: the rejects layout)."""
    return f"{prefix}{table + '/' if table else ''}extract_date={extract_date}/run_id={run_id}/"


def attempt_folder(prefix: str, table: str | None, extract_date: str, run_id: str, attempt_id: str) -> str:
    return f"{run_folder(prefix, table, extract_date, run_id)}attempt_id={attempt_id}/"


@dataclass
class StoredObject:
    key: str
    last_modified: dt.datetime


@dataclass
class SupersedeReport:
    """What superseding found and did: the other attempts of the run, and the objects tagged (S3 only)."""

    superseded: list[str] = field(default_factory=list)
    newer: list[str] = field(default_factory=list)
    tagged_objects: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"superseded": self.superseded, "newer": self.newer, "tagged_objects": self.tagged_objects, "error": self.error}


def group_by_attempt(objects: Iterable[StoredObject]) -> dict[str, list[StoredObject]]:
    grouped: dict[str, list[StoredObject]] = {}
    for stored in objects:
        match = ATTEMPT_FOLDER.search("/" + stored.key)
        if match:
            grouped.setdefault(match.group(1), []).append(stored)
    return grouped


def attempts_to_supersede(
    by_attempt: dict[str, list[StoredObject]], commits: dict[str, list[StoredObject]], mine: str
) -> tuple[list[str], list[str]]:
    """(attempts superseded by mine, attempts committed after mine). An attempt without a commit record never
    became visible and is superseded; one whose commit is newer than mine is left alone (it supersedes mine)."""
    my_commit = max((o.last_modified for o in commits.get(mine, [])), default=None)
    superseded, newer = [], []
    for attempt in sorted(set(by_attempt) | set(commits)):
        if attempt == mine:
            continue
        theirs = max((o.last_modified for o in commits.get(attempt, [])), default=None)
        if theirs is not None and my_commit is not None and theirs > my_commit:
            newer.append(attempt)
        else:
            superseded.append(attempt)
    return superseded, newer


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/a/b/ (or s3a://, s3n://) -> ("bucket", "a/b/")."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a", "s3n") or not parsed.netloc:
        raise AttemptError(f"{uri} is not an s3:// location")
    return parsed.netloc, parsed.path.lstrip("/")


def supersede_on_s3(
    s3: Any, processed_uri: str, tables: Iterable[str], commit_table: str, extract_date: str, run_id: str, mine: str
) -> SupersedeReport:
    """Tags every object of the run's other attempts that mine supersedes, so the lifecycle rule expires them.

    `s3` is a boto3 S3 client. Objects are listed per table under processed/<table>/extract_date=D/run_id=R/; the
    commit records' LastModified orders the attempts (mine was just written).
    """
    bucket, processed_key = split_s3_uri(processed_uri)
    report = SupersedeReport()

    def listed(table: str) -> list[StoredObject]:
        found = []
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=run_folder(processed_key, table, extract_date, run_id)):
            for item in page.get("Contents", []):
                found.append(StoredObject(item["Key"], item["LastModified"]))
        return found

    commits = group_by_attempt(listed(commit_table))
    by_attempt: dict[str, list[StoredObject]] = {}
    for table in tables:
        for attempt, objects in group_by_attempt(listed(table)).items():
            by_attempt.setdefault(attempt, []).extend(objects)
    for attempt, objects in commits.items():
        by_attempt.setdefault(attempt, []).extend(objects)
    report.superseded, report.newer = attempts_to_supersede(by_attempt, commits, mine)
    tagging = {"TagSet": [{"Key": SUPERSEDED_TAG_KEY, "Value": SUPERSEDED_TAG_VALUE}]}
    for attempt in report.superseded:
        for stored in by_attempt.get(attempt, []):
            s3.put_object_tagging(Bucket=bucket, Key=stored.key, Tagging=tagging)
            report.tagged_objects += 1
    return report


def local_attempts(processed_dir: str, tables: Iterable[str], extract_date: str, run_id: str) -> dict[str, list[StoredObject]]:
    """The attempt folders of a run in a local processed/ folder, per attempt (for reporting)."""
    import os

    grouped: dict[str, list[StoredObject]] = {}
    for table in tables:
        folder = os.path.join(processed_dir, run_folder("", table, extract_date, run_id))
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.startswith("attempt_id="):
                continue
            path = os.path.join(folder, name)
            for file_name in sorted(os.listdir(path)):
                key = f"{table}/extract_date={extract_date}/run_id={run_id}/{name}/{file_name}"
                modified = dt.datetime.fromtimestamp(os.path.getmtime(os.path.join(path, file_name)), dt.timezone.utc)
                grouped.setdefault(name[len("attempt_id="):], []).append(StoredObject(key, modified))
    return grouped
