"""Pure Python: one raw file of a run -> typed records for the processed tables (record shape: records.py).

Every function here is plain Python so that tests call it without Spark, and so that the executors parse each
raw file exactly once. A file is processed only when the run's manifest lists it and its bytes hash to the
manifest's sha256; its document's `kind` then chooses its parser in PARSERS, one per kind of raw document that
schemas/raw-documents.json declares (check_parsers holds the two against each other before a run reads anything).

Spotify changes its responses under its users: every field beyond ids and names is optional, values of an
unexpected type become null, and only a record whose identity cannot be read is rejected.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator, Mapping

from .manifest import relative_path_of_file, sha256_hex
from .parse_listening import parse_followed_artists, parse_plays, parse_saved_tracks
from .parse_lists import parse_playlist, parse_top
from .parse_streams import parse_streams
from .raw_documents import RawDocuments, RawDocumentsError
from .records import DIMENSION_KEYS, Record, RunContext, document_reader, object_status, reject, with_reader
from .values import obj

Parser = Callable[[RunContext, str, Mapping[str, Any]], Iterator[Record]]

# One parser per document kind of schemas/raw-documents.json, keyed by its `kind`.
PARSERS: dict[str, Parser] = {
    "playlist": parse_playlist,
    "top": parse_top,
    "plays": parse_plays,
    "saved_tracks": parse_saved_tracks,
    "followed_artists": parse_followed_artists,
    "streams": parse_streams,
}
# Kinds whose raw document is a file as its source wrote it (a Spotify export, imports in raw-documents.json): it
# carries no `kind` of its own, so its manifest entry names it; and its text is never copied into a reject (an
# export holds the listener's IP addresses).
FILE_KINDS = frozenset({"streams"})


def check_parsers(declaration: RawDocuments) -> None:
    """Fails before any data is read when the declared document kinds and this job's parsers differ."""
    unparsed = [kind for kind in declaration.kinds if kind not in PARSERS]
    if unparsed:
        raise RawDocumentsError(
            f"{declaration.path} declares document kind(s) {unparsed} that this job has no parser for; add them to "
            "glue/spotify_transform (a parser, and its entry in parse.PARSERS) before deploying the declaration"
        )
    undeclared = [kind for kind in PARSERS if kind not in declaration.documents]
    if undeclared:
        raise RawDocumentsError(f"this job parses document kind(s) {undeclared} that {declaration.path} does not declare")


def parse_object(ctx: RunContext, file_path: str, data: bytes) -> Iterator[Record]:
    """One raw file -> records. Unlisted files are skipped; a checksum mismatch rejects the whole object."""
    path = relative_path_of_file(file_path)
    entry = ctx.manifest_objects.get(path)
    if entry is None:
        # Not in the manifest: not part of this run (e.g. a stray upload); never processed.
        yield object_status(path, "unlisted")
        return
    actual = sha256_hex(data)
    if actual != entry["sha256"]:
        yield reject(
            ctx, path, "$", f"checksum mismatch: the manifest says sha256 {entry['sha256']}, the object hashes to "
            f"{actual}; the object changed or was corrupted after the extract wrote it: re-run the extract",
            None,
        )
        yield object_status(path, "rejected", "checksum mismatch")
        return
    file_kind = entry.get("kind") if entry.get("kind") in FILE_KINDS else None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        yield reject(ctx, path, "$", f"not valid UTF-8 JSON: {error}", None if file_kind else data[:4096].decode("utf-8", "replace"))
        yield object_status(path, "rejected", "invalid JSON")
        return
    kind = file_kind or obj(doc).get("kind")
    parser = PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        known = ", ".join(repr(k) for k in PARSERS)
        yield reject(ctx, path, "kind", f"unknown document kind {kind!r}; expected one of {known}", None)
        yield object_status(path, "rejected", "unknown kind")
        return
    yield from with_reader(parser(ctx, path, doc), document_reader(doc))


def parse_partition(ctx: RunContext, files: Iterable[tuple[str, bytes]]) -> Iterator[Record]:
    """All files of one Spark partition -> records, with dimension rows already reduced to the best per id.

    Reducing here (a dict per partition) shrinks the rows that cross into the JVM: a popular track appears once
    per partition instead of once per playlist position. The global choice is made again in Spark.
    """
    best: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for file_path, data in files:
        for tag, rank, row in parse_object(ctx, file_path, bytes(data)):
            key_field = DIMENSION_KEYS.get(tag)
            if key_field is None:
                yield tag, rank, row
                continue
            current = best.get((tag, row[key_field]))
            if current is None or rank < current[0]:
                best[(tag, row[key_field])] = (rank, row)
    for (tag, _), (rank, row) in best.items():
        yield tag, rank, row
