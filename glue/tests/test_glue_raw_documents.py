"""schemas/raw-documents.json, the one declaration of the raw layer, as the job reads it (no Spark): its shape is
checked with clear errors, the manifest contract comes from it, and every declared document kind has its parser,
which fills exactly the tables the declaration says."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from spotify_transform.manifest import ManifestError, parse_manifest, relative_path_of_key, validate_run_id
from spotify_transform.parse import PARSERS, check_parsers, parse_object
from spotify_transform.raw_documents import (
    RawDocumentsError,
    find_raw_documents_file,
    load_raw_documents,
    parse_raw_documents,
)
from spotify_transform.records import OBJECT, REJECT, RunContext
from spotify_transform.transforms import DERIVED_TABLES, check_schemas
from spotify_transform.schemas import load_schemas
from test_glue_listening import FOLLOWED_DOC, PLAYS_DOC, SAVED_DOC

REPO_FILE = Path(__file__).resolve().parents[2] / "schemas" / "raw-documents.json"
FIXTURE_RUN = Path(__file__).resolve().parent / "fixtures" / "raw" / "extract_date=2026-11-25" / "run_id=20261125T060000Z-a1b2c3"
RUN_ID = "20261125T060000Z-a1b2c3"


def _document() -> dict:
    return json.loads(REPO_FILE.read_text(encoding="utf-8"))


def _declaration(change=None):
    document = _document()
    if change is not None:
        change(document)
    return parse_raw_documents(document, "raw-documents.json")


def _records(path: str, doc, kind: str | None = None) -> list[tuple[str, dict]]:
    data = json.dumps(doc).encode()
    entry = {"key": f"raw/x/{path}", "sha256": hashlib.sha256(data).hexdigest(), "kind": kind, "entity_id": "sam" if kind else None}
    ctx = RunContext(RUN_ID, "2026-11-25", {path: entry})
    return [(tag, row) for tag, _, row in parse_object(ctx, "file:/x/" + path, data)]


def _fixture(relative: str) -> dict:
    return json.loads((FIXTURE_RUN / relative).read_text(encoding="utf-8"))


# A document of each kind whose items name every entity it can: a listener's top lists name the listener.
DOCUMENTS = {
    # The reader's playlist: it belongs to them (playlist_listeners), who are a listener (listener_profiles).
    "playlist": ("playlists/pl1AAAAAAAAAAAAAAAAAAA.json", {**_fixture("playlists/pl1AAAAAAAAAAAAAAAAAAA.json"), "spotify_user_id": "u1"}),
    "top": ("top/tracks_short_term.u1.json", {**_fixture("top/tracks_short_term.json"), "spotify_user_id": "u1", "listener_name": "sam"}),
    "plays": ("plays/u1.json", PLAYS_DOC),
    "saved_tracks": ("saved_tracks/u1.json", SAVED_DOC),
    "followed_artists": ("followed_artists/u1.json", FOLLOWED_DOC),
    # An imported export is the file as Spotify wrote it: its manifest entry names its kind.
    "streams": ("streams/Streaming_History_Audio_2024.json", [{"ts": "2024-03-01T18:04:11Z", "ms_played": 1000, "spotify_track_uri": "spotify:track:4uLU6hMCjMI75M1A2tKUQC"}]),
}
FILE_KINDS = {"streams"}


def test_the_repository_declaration_is_found_and_read():
    declaration = load_raw_documents()
    assert Path(declaration.path).resolve() == REPO_FILE
    assert declaration.manifest.file == "_manifest.json"
    assert declaration.is_run_id(declaration.run_id_example)
    assert declaration.run_prefix("2026-11-25", RUN_ID) == f"raw/extract_date=2026-11-25/run_id={RUN_ID}/"


def test_every_declared_kind_has_a_parser_and_every_parser_a_declared_kind():
    declaration = load_raw_documents()
    assert sorted(PARSERS) == sorted(declaration.kinds)
    check_parsers(declaration)
    check_schemas(load_schemas(), declaration)


def test_a_declared_kind_without_a_parser_stops_the_run():
    declaration = _declaration(lambda d: d["documents"].__setitem__("saved_episodes", {
        "key": "saved_episodes/{spotify_user_id}.json", "listening": True, "tables": ["saved_episodes"]}))
    with pytest.raises(RawDocumentsError, match=r"declares document kind\(s\) \['saved_episodes'\] that this job has no parser for"):
        check_parsers(declaration)


def test_a_parser_without_a_declared_kind_stops_the_run():
    declaration = _declaration(lambda d: d["documents"].pop("followed_artists"))
    with pytest.raises(RawDocumentsError, match=r"parses document kind\(s\) \['followed_artists'\] that .* does not declare"):
        check_parsers(declaration)


@pytest.mark.parametrize("kind", sorted(DOCUMENTS))
def test_each_kind_fills_exactly_the_tables_it_declares(kind):
    path, doc = DOCUMENTS[kind]
    if kind in FILE_KINDS:
        records = _records(path, doc, kind)
    else:
        assert doc["kind"] == kind
        records = _records(path, doc)
    assert (OBJECT, {"relative_path": path, "status": "parsed", "reason": None}) in records
    filled = {tag for tag, _ in records if tag not in (OBJECT, REJECT)}
    # track_artists is derived from the tracks rows a document fills.
    derived = {"track_artists"} if "tracks" in filled else set()
    assert filled | derived == set(load_raw_documents().documents[kind].tables)
    assert set(DERIVED_TABLES) >= derived


def test_a_kind_that_is_not_a_name_is_rejected_not_a_crash():
    records = _records("playlists/p.json", {"kind": ["playlist"]})
    assert [tag for tag, _ in records] == [REJECT, OBJECT]
    assert records[0][1]["reason"] == (
        "unknown document kind ['playlist']; expected one of 'playlist', 'top', 'plays', 'saved_tracks', 'followed_artists', 'streams'"
    )


# ------------------------------------------------------------------------------------ the manifest contract


def _manifest(**changes) -> dict:
    doc = {"manifest_version": 2, "run_id": RUN_ID, "extract_date": "2026-11-25", "status": "complete", "objects": [
        {"key": f"raw/extract_date=2026-11-25/run_id={RUN_ID}/playlists/p.json", "sha256": "0" * 64}]}
    doc.update(changes)
    return doc


def test_the_manifest_is_read_with_the_declared_versions_and_statuses():
    only_v1 = _declaration(lambda d: d["manifest"].update(version=1, readable_versions=[1]))
    with pytest.raises(ManifestError, match=r"manifest_version 2; this job reads version\(s\) \(1,\)"):
        parse_manifest(_manifest(), RUN_ID, "m", only_v1)
    complete_only = _declaration(lambda d: d["manifest"].update(processable_statuses=["complete"]))
    with pytest.raises(ManifestError, match=r"status 'partial'; only \('complete',\) runs are processed"):
        parse_manifest(_manifest(status="partial"), RUN_ID, "m", complete_only)
    assert parse_manifest(_manifest(status="partial"), RUN_ID, "m").status == "partial"


def test_the_run_prefix_and_run_ids_follow_the_declaration():
    declaration = _declaration(lambda d: (
        d["bucket"].update(run_prefix="bronze/{extract_date}/run={run_id}/"),
        d["run_id"].update(pattern="^[0-9]{8}T[0-9]{6}Z-[a-z]{3}$", example="20261125T060000Z-abc"),
    ))
    run_id = "20261125T060000Z-abc"
    doc = _manifest(run_id=run_id, objects=[{"key": f"bronze/2026-11-25/run={run_id}/playlists/p.json", "sha256": "0" * 64}])
    manifest = parse_manifest(doc, run_id, "m", declaration)
    assert manifest.run_prefix == f"bronze/2026-11-25/run={run_id}/"
    assert [o.relative_path for o in manifest.objects] == ["playlists/p.json"]
    with pytest.raises(ManifestError, match="does not match YYYYMMDDTHHMMSSZ-xxxxxx"):
        validate_run_id(RUN_ID, declaration)
    with pytest.raises(ManifestError, match="is not under run=20261125T060000Z-abc/"):
        relative_path_of_key(f"raw/extract_date=2026-11-25/run_id={run_id}/playlists/p.json", run_id, declaration)


def test_a_run_id_with_a_trailing_newline_is_not_a_run_id():
    # The extract's pattern (JavaScript) ends at the end of the string; Python's $ also matches before a final newline.
    with pytest.raises(ManifestError, match="does not match"):
        validate_run_id(RUN_ID + "\n")


# ------------------------------------------------------------------------------------------- shape errors


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("documents"), r"raw-documents.json documents: expected an object of document kinds"),
        (lambda d: d["manifest"].pop("file"), r"raw-documents.json manifest.file: expected a file name; got None"),
        (lambda d: d["manifest"].update(version=3), r"manifest.version: expected one of the readable_versions; got 3"),
        (lambda d: d["run_id"].update(pattern="(["), r"run_id.pattern: not a regular expression"),
        (lambda d: d["run_id"].update(example="latest"), r"run_id.example: expected a run id that run_id.pattern matches"),
        (lambda d: d["bucket"].update(run_prefix="raw/{extract_date}/"), r"bucket.run_prefix: expected the parts \{extract_date\} and \{run_id\}"),
        (lambda d: d["bucket"].update(run_prefix="raw/run_id={run_id}/{extract_date}/"), r"expected \{run_id\} alone in the last folder"),
        (lambda d: d["documents"]["plays"].update(key="plays/x/{spotify_user_id}.json"), r"documents.plays.key: expected <folder>/<file>"),
        (lambda d: d["documents"]["top"].update(tables=[]), r"documents.top.tables: expected a non-empty list of strings"),
        (lambda d: d["documents"]["top"].update(counts={"items": "top_entries"}), r"documents.top.counts: expected count fields declared"),
    ],
)
def test_a_declaration_of_another_shape_is_refused_with_where_and_what(change, message):
    document = _document()
    change(document)
    with pytest.raises(RawDocumentsError, match=message):
        parse_raw_documents(copy.deepcopy(document), "raw-documents.json")


def test_the_file_is_found_like_tables_json(tmp_path, monkeypatch):
    copy_path = tmp_path / "raw-documents.json"
    copy_path.write_text(REPO_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert find_raw_documents_file(str(copy_path)) == copy_path
    monkeypatch.setenv("RAW_DOCUMENTS_PATH", str(copy_path))
    assert load_raw_documents().path == str(copy_path)
    monkeypatch.setenv("RAW_DOCUMENTS_PATH", str(tmp_path / "missing.json"))
    with pytest.raises(RawDocumentsError, match=r"RAW_DOCUMENTS_PATH points to .*missing.json, which is not a file"):
        load_raw_documents()
    monkeypatch.delenv("RAW_DOCUMENTS_PATH")
    with pytest.raises(RawDocumentsError, match=r"--RAW_DOCUMENTS_PATH points to .*nowhere.json, which is not a file"):
        load_raw_documents(str(tmp_path / "nowhere.json"))


def test_a_playlists_listeners_are_read_from_its_manifest_entry_and_a_broken_list_is_named():
    key = f"raw/extract_date=2026-11-25/run_id={RUN_ID}/playlists/p.json"
    members = [{"listener": "sam", "spotify_user_id": "u1", "role": "owner"}]
    manifest = parse_manifest(_manifest(objects=[{"key": key, "sha256": "0" * 64, "belongs_to": members}]), RUN_ID, "m")
    assert manifest.objects[0].belongs_to == tuple(members)
    # A manifest from before playlists were read per listener names none: None, not an empty list.
    assert parse_manifest(_manifest(), RUN_ID, "m").objects[0].belongs_to is None
    with pytest.raises(ManifestError, match=r"objects\[0\] .* belongs_to entry without a spotify_user_id and a role"):
        parse_manifest(_manifest(objects=[{"key": key, "sha256": "0" * 64, "belongs_to": [{"listener": "sam", "role": "boss"}]}]), RUN_ID, "m")
