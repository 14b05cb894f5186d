"""The raw (bronze) layer as declared in schemas/raw-documents.json, the ONE declaration the extract (TypeScript)
and this job both read: run id patterns, the manifest's file, version and statuses, the run prefix, and the kinds
of raw document with the tables each fills.

The file is found the way schemas.py finds tables.json: an explicit path (the job's --RAW_DOCUMENTS_PATH), the
RAW_DOCUMENTS_PATH environment variable, beside the script or in the working directory (Glue's --extra-files),
then the repository's schemas/ folder. Only the driver reads it: the executors parse with code alone (parse.py),
so nothing here runs at import time.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .schemas import SchemaError, find_declaration_file, read_declaration

RAW_DOCUMENTS_FILE_NAME = "raw-documents.json"
RAW_DOCUMENTS_ENV_VAR = "RAW_DOCUMENTS_PATH"


class RawDocumentsError(SchemaError):
    """raw-documents.json is missing or not the shape this job understands."""


@dataclass(frozen=True)
class ManifestContract:
    file: str
    version: int
    readable_versions: tuple[int, ...]
    processable_statuses: tuple[str, ...]


@dataclass(frozen=True)
class DocumentKind:
    name: str
    # Key below the run prefix, e.g. "playlists/{playlist_id}.json": always <folder>/<file>.
    key: str
    listening: bool
    tables: tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.key.split("/", 1)[0]


@dataclass(frozen=True)
class RawDocuments:
    path: str
    version: int
    run_id_pattern: re.Pattern[str]
    plays_run_id_pattern: re.Pattern[str]
    run_id_example: str
    manifest: ManifestContract
    # "raw/extract_date={extract_date}/run_id={run_id}/"
    run_prefix_template: str
    documents: Mapping[str, DocumentKind]

    @property
    def kinds(self) -> list[str]:
        return list(self.documents)

    def is_run_id(self, value: Any) -> bool:
        return isinstance(value, str) and self.run_id_pattern.fullmatch(value) is not None

    def run_prefix(self, extract_date: str, run_id: str) -> str:
        """The bucket key prefix of a run: 'raw/extract_date=D/run_id=R/'."""
        return self.run_prefix_template.format(extract_date=extract_date, run_id=run_id)

    def run_folder(self, run_id: str) -> str:
        """The last folder of a run's prefix ('run_id=R/'): what every key of the run's objects contains."""
        return self.run_prefix_template.rstrip("/").rsplit("/", 1)[-1].format(run_id=run_id) + "/"

    @property
    def filled_tables(self) -> list[str]:
        """Every table some document kind fills, in declaration order."""
        return list(dict.fromkeys(table for kind in self.documents.values() for table in kind.tables))


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _need(condition: bool, where: str, what: str, got: Any) -> None:
    if not condition:
        raise RawDocumentsError(f"{where}: {what}; got {got!r}")


def _pattern(value: Any, where: str) -> re.Pattern[str]:
    _need(isinstance(value, str) and bool(value), where, "expected a regular expression", value)
    try:
        return re.compile(value)
    except re.error as error:
        raise RawDocumentsError(f"{where}: not a regular expression ({error}): {value!r}") from None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    _need(isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value), where,
          "expected a non-empty list of strings", value)
    return tuple(value)


def _manifest(spec: Any, where: str) -> ManifestContract:
    _need(isinstance(spec, Mapping), where, "expected an object", spec)
    file, version, readable = spec.get("file"), spec.get("version"), spec.get("readable_versions")
    _need(isinstance(file, str) and bool(file) and "/" not in file, f"{where}.file", "expected a file name", file)
    _need(isinstance(readable, list) and bool(readable) and all(type(v) is int for v in readable),
          f"{where}.readable_versions", "expected a non-empty list of integers", readable)
    _need(type(version) is int and version in readable, f"{where}.version", "expected one of the readable_versions", version)
    statuses = _strings(spec.get("processable_statuses"), f"{where}.processable_statuses")
    return ManifestContract(file=file, version=version, readable_versions=tuple(readable), processable_statuses=statuses)


def _run_prefix(template: Any, where: str) -> str:
    _need(isinstance(template, str) and template.endswith("/"), where, "expected a key prefix ending in '/'", template)
    _need(sorted(_placeholders(template)) == ["extract_date", "run_id"], where,
          "expected the parts {extract_date} and {run_id}", template)
    # A reused object's key is under an earlier run whose extract date the manifest does not give: its key is found
    # by the run's own folder (run_folder), so {run_id} must name the last folder, with no other part.
    _need(_placeholders(template.rstrip("/").rsplit("/", 1)[-1]) == ["run_id"], where,
          "expected {run_id} alone in the last folder", template)
    return template


def _document(name: str, spec: Any, counts: Mapping[str, Any], where: str) -> DocumentKind:
    _need(isinstance(spec, Mapping), where, "expected an object", spec)
    key = spec.get("key")
    # The job matches a file to its manifest entry by the last two parts of its path (manifest.relative_path_of_file).
    _need(isinstance(key, str) and key.count("/") == 1 and not _placeholders(key.split("/")[0]), f"{where}.key",
          "expected <folder>/<file> with a fixed folder name", key)
    listening = spec.get("listening")
    _need(isinstance(listening, bool), f"{where}.listening", "expected true or false", listening)
    kind_counts = spec.get("counts", {})
    _need(isinstance(kind_counts, Mapping) and all(v in counts for v in kind_counts.values()), f"{where}.counts",
          f"expected count fields declared under 'counts' ({', '.join(counts)})", kind_counts)
    return DocumentKind(name=name, key=key, listening=listening, tables=_strings(spec.get("tables"), f"{where}.tables"))


def parse_raw_documents(document: Any, path: str = "<memory>") -> RawDocuments:
    """Validates the declaration's shape (the parts this job reads); RawDocumentsError names what is wrong where."""
    _need(isinstance(document, Mapping), path, "expected a JSON object", type(document).__name__)
    run_id = document.get("run_id")
    _need(isinstance(run_id, Mapping), f"{path} run_id", "expected an object", run_id)
    bucket = document.get("bucket")
    _need(isinstance(bucket, Mapping), f"{path} bucket", "expected an object", bucket)
    counts = document.get("counts", {})
    _need(isinstance(counts, Mapping), f"{path} counts", "expected an object", counts)
    documents = document.get("documents")
    _need(isinstance(documents, Mapping) and bool(documents), f"{path} documents", "expected an object of document kinds", documents)
    example = run_id.get("example")
    pattern = _pattern(run_id.get("pattern"), f"{path} run_id.pattern")
    _need(isinstance(example, str) and pattern.fullmatch(example) is not None, f"{path} run_id.example",
          "expected a run id that run_id.pattern matches", example)
    return RawDocuments(
        path=path,
        version=int(document.get("version", 1)),
        run_id_pattern=pattern,
        plays_run_id_pattern=_pattern(run_id.get("plays_pattern"), f"{path} run_id.plays_pattern"),
        run_id_example=example,
        manifest=_manifest(document.get("manifest"), f"{path} manifest"),
        run_prefix_template=_run_prefix(bucket.get("run_prefix"), f"{path} bucket.run_prefix"),
        documents={
            **{name: _document(name, spec, counts, f"{path} documents.{name}") for name, spec in documents.items()},
            **_import_documents(document.get("imports"), documents, counts, f"{path} imports"),
        },
    )


def _import_documents(spec: Any, extracted: Mapping[str, Any], counts: Mapping[str, Any], where: str) -> dict[str, DocumentKind]:
    """The kinds of file `pipeline import` uploads (the listener's own Spotify exports): parsed like any raw document."""
    if spec is None:
        return {}
    _need(isinstance(spec, Mapping) and isinstance(spec.get("documents"), Mapping), where, "expected an object with 'documents'", spec)
    kinds = {}
    for name, kind_spec in spec["documents"].items():
        _need(name not in extracted, f"{where}.documents.{name}", "expected a kind the extract does not also declare", name)
        kinds[name] = _document(name, {"listening": True, **kind_spec}, counts, f"{where}.documents.{name}")
    return kinds


def find_raw_documents_file(explicit: str | None = None) -> Path:
    return find_declaration_file(explicit, RAW_DOCUMENTS_FILE_NAME, RAW_DOCUMENTS_ENV_VAR, RawDocumentsError)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> RawDocuments:
    return parse_raw_documents(read_declaration(Path(path), RawDocumentsError), path)


def load_raw_documents(explicit: str | None = None) -> RawDocuments:
    """The declaration, found as the module docstring says (read once per file and process)."""
    return _load(str(find_raw_documents_file(explicit)))
