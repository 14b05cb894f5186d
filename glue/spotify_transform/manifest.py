"""A raw run's _manifest.json: what the extract wrote, with checksums (docs/data-contracts.md).

The manifest is written LAST, so its presence is what makes a run complete. The job reads only the objects the
manifest lists, and only after their bytes hash to the manifest's sha256.

Version 2 lets an object point at an earlier run's raw object: a playlist whose snapshot id had not changed
since its last complete fetch is not fetched again, and its entry names the run that fetched it
(`fetched_in_run`) and that run's key. The job reads that object for this run (input_locations), so every run's
snapshot is complete downstream.

The contract's constants (file name, versions, statuses, run id pattern, run prefix) are those of
schemas/raw-documents.json (raw_documents.py), which the extract reads too (its TypeScript manifest module). Every
function that needs them takes the declaration, or reads the one found by default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .io import bucket_root_of
from .raw_documents import RawDocuments, load_raw_documents
from .values import parse_utc_timestamp

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# The manifest version that introduced fetched_in_run (an object reused from an earlier run).
FETCHED_IN_RUN_SINCE_VERSION = 2


class ManifestError(Exception):
    """The manifest is missing, unreadable or does not describe the run the job was asked to process."""


@dataclass(frozen=True)
class ManifestObject:
    key: str
    # Path below the run's prefix, e.g. "playlists/4rOoJ6Egrf8K2IrywzwOMk.json": how files are matched to entries.
    relative_path: str
    kind: str | None
    entity_id: str | None
    sha256: str
    # Manifest v2: the earlier run whose object this run reuses (the playlist had not changed since); None when
    # the object was fetched by this run and lies under its prefix.
    reused_from_run: str | None = None
    # Playlists: the listeners it belongs to in this run ({listener, spotify_user_id, role}); None in manifests from
    # before playlists were read per listener (the document's reader is then its one listener).
    belongs_to: tuple[dict[str, str], ...] | None = None


@dataclass(frozen=True)
class Manifest:
    run_id: str
    extract_date: dt.date
    extracted_at: dt.datetime
    status: str
    objects: tuple[ManifestObject, ...]
    errors: int
    # The bucket key prefix of the run: 'raw/extract_date=D/run_id=R/' (the declared run prefix).
    run_prefix: str

    def by_relative_path(self) -> dict[str, ManifestObject]:
        return {o.relative_path: o for o in self.objects}


def validate_run_id(run_id: str, declaration: RawDocuments | None = None) -> str:
    declaration = declaration or load_raw_documents()
    if not declaration.is_run_id(run_id):
        raise ManifestError(
            f'run id "{run_id}" does not match YYYYMMDDTHHMMSSZ-xxxxxx ({declaration.run_id_pattern.pattern}, e.g. '
            f"{declaration.run_id_example}); pass the run id the extract wrote (the run_id= folder of the raw run)"
        )
    return run_id


def run_started_at(run_id: str, declaration: RawDocuments | None = None) -> dt.datetime:
    """The UTC start time a run id encodes, YYYYMMDDTHHMMSS first (the fallback when the manifest has no started_at)."""
    if not (declaration or load_raw_documents()).is_run_id(run_id):
        raise ManifestError(f'run id "{run_id}" does not encode a start time')
    return dt.datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S").replace(tzinfo=dt.timezone.utc)


def relative_path_of_key(key: str, run_id: str, declaration: RawDocuments | None = None) -> str:
    """'raw/extract_date=D/run_id=R/playlists/x.json' -> 'playlists/x.json'."""
    marker = (declaration or load_raw_documents()).run_folder(run_id)
    index = key.find(marker)
    if index < 0:
        raise ManifestError(f'manifest object key "{key}" is not under {marker}; the manifest is not this run\'s')
    return key[index + len(marker):]


def input_locations(manifest: "Manifest", raw_run_uri: str) -> list[str]:
    """What the job reads for a run: the run's own folders that hold listed objects, and the file URI of each
    earlier run's object the manifest reuses (found beside this run, from the bucket root both share).

    `raw_run_uri` is the run's folder URI (ending in '/'), e.g. s3://bucket/raw/extract_date=D/run_id=R/.
    """
    folders = sorted({raw_run_uri + o.relative_path.rsplit("/", 1)[0] + "/" for o in manifest.objects if not o.reused_from_run and "/" in o.relative_path})
    reused = [o for o in manifest.objects if o.reused_from_run]
    if not reused:
        return folders
    root = bucket_root_of(raw_run_uri, manifest.run_prefix)
    if root is None:
        raise ManifestError(
            f"the run reuses earlier runs' objects, but {raw_run_uri} does not end in {manifest.run_prefix}: "
            "pass the run's prefix in the bucket layout (s3://BUCKET/raw/extract_date=D/run_id=R/)"
        )
    return folders + sorted(root + o.key for o in reused)


def relative_path_of_file(path: str) -> str:
    """A file's path as Spark lists it -> its path below the run prefix (layout: <folder>/<name>.json)."""
    parts = path.rstrip("/").split("/")
    return "/".join(parts[-2:])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_manifest(document: Any, run_id: str, where: str, declaration: RawDocuments | None = None) -> Manifest:
    """Validates a manifest document against the run the job was asked to process."""
    declaration = declaration or load_raw_documents()
    contract = declaration.manifest
    if not isinstance(document, Mapping):
        raise ManifestError(f"{where} is not a JSON object; the extract run wrote a broken manifest: re-run the extract")
    version = document.get("manifest_version")
    if version not in contract.readable_versions:
        raise ManifestError(
            f"{where} has manifest_version {version!r}; this job reads version(s) {contract.readable_versions}: "
            "deploy the transform that matches the extract"
        )
    if document.get("run_id") != run_id:
        raise ManifestError(
            f"{where} is for run {document.get('run_id')!r}, not {run_id!r}: --RUN_ID and --RAW_RUN_PREFIX "
            "must name the same run"
        )
    status = document.get("status")
    if status not in contract.processable_statuses:
        raise ManifestError(f"{where} has status {status!r}; only {contract.processable_statuses} runs are processed")

    try:
        extract_date = dt.date.fromisoformat(str(document.get("extract_date")))
    except ValueError:
        raise ManifestError(f"{where} has no valid extract_date (YYYY-MM-DD): {document.get('extract_date')!r}") from None
    extracted_at = parse_utc_timestamp(document.get("started_at")) or run_started_at(run_id, declaration)

    raw_objects = document.get("objects")
    if not isinstance(raw_objects, list):
        raise ManifestError(f"{where} has no 'objects' list; the extract run wrote a broken manifest: re-run the extract")
    objects = []
    seen = set()
    for index, entry in enumerate(raw_objects):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            raise ManifestError(f"{where} objects[{index}] has no key")
        sha = entry.get("sha256")
        if not isinstance(sha, str) or not _SHA256.match(sha.lower()):
            raise ManifestError(f"{where} objects[{index}] ({entry['key']}) has no sha256 hex digest")
        fetched_in = entry.get("fetched_in_run", run_id)
        reused_from = None
        if fetched_in != run_id:
            if version < FETCHED_IN_RUN_SINCE_VERSION or not declaration.is_run_id(fetched_in):
                raise ManifestError(f"{where} objects[{index}] ({entry['key']}) has an invalid fetched_in_run {fetched_in!r}")
            reused_from = fetched_in
        relative = relative_path_of_key(entry["key"], reused_from or run_id, declaration)
        if relative in seen:
            raise ManifestError(f"{where} lists {relative} twice")
        seen.add(relative)
        objects.append(
            ManifestObject(
                key=entry["key"],
                relative_path=relative,
                kind=entry.get("kind") if isinstance(entry.get("kind"), str) else None,
                entity_id=entry.get("entity_id") if isinstance(entry.get("entity_id"), str) else None,
                sha256=sha.lower(),
                reused_from_run=reused_from,
                belongs_to=_belongs_to(entry.get("belongs_to"), f"{where} objects[{index}] ({entry['key']})"),
            )
        )
    errors = document.get("errors")
    return Manifest(
        run_id=run_id,
        extract_date=extract_date,
        extracted_at=extracted_at,
        status=status,
        objects=tuple(objects),
        errors=len(errors) if isinstance(errors, list) else 0,
        run_prefix=declaration.run_prefix(extract_date.isoformat(), run_id),
    )


_MEMBER_ROLES = ("owner", "collaborator", "reader")


def _belongs_to(value: Any, where: str) -> tuple[dict[str, str], ...] | None:
    """A playlist entry's listeners, each {listener, spotify_user_id, role}; absent (older manifests) is None."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ManifestError(f"{where} has a belongs_to that is not a list; the extract wrote a broken manifest: re-run the extract")
    members = []
    for member in value:
        if (
            not isinstance(member, Mapping)
            or not isinstance(member.get("spotify_user_id"), str)
            or not member["spotify_user_id"]
            or member.get("role") not in _MEMBER_ROLES
        ):
            raise ManifestError(
                f"{where} has a belongs_to entry without a spotify_user_id and a role of {_MEMBER_ROLES}: {member!r}; "
                "the extract wrote a broken manifest: re-run the extract"
            )
        listener = member.get("listener")
        members.append({"listener": listener if isinstance(listener, str) else None, "spotify_user_id": member["spotify_user_id"], "role": member["role"]})
    return tuple(members)
