"""The Spotify raw -> processed transform: plain Python and DataFrame code that AWS Glue and local Spark both run.

Modules, each importing only those listed below it:
- job:             run_transform(), the whole run; the Glue entry point (glue/transform_job.py) only parses arguments.
- transforms:      DataFrame functions: raw files -> one DataFrame per table, deduplicated and typed per the schema.
- parse:           one raw file -> records: checksum, then the parser of its document kind (PARSERS).
- parse_lists:     playlists and top lists -> records.
- parse_listening: plays, saved tracks, followed artists -> records.
- records:         the record shape, rejects, the entity rows every parser shares (tracks, albums, artists).
- manifest:        reading and validating a raw run's _manifest.json; the object checksums.
- raw_documents:   schemas/raw-documents.json, the one declaration of the raw layer (run ids, manifest, kinds).
- schemas:         the processed table schemas, read from schemas/tables.json (the one source).
- values:          JSON values -> typed column values (ids, ints, timestamps, release dates).
- attempts, io:    transform attempts and their files; Hadoop FileSystem helpers.
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
