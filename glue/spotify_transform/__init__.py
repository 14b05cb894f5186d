"""The Spotify raw -> processed transform: plain Python and DataFrame code that AWS Glue and local Spark both run.

Modules:
- schemas:    the processed table schemas, read from schemas/tables.json (the one source).
- manifest:   reading and validating a raw run's _manifest.json; the object checksums.
- parse:      pure Python: one raw JSON document -> typed records for every table, and rejects with reasons.
- transforms: DataFrame functions: raw files -> one DataFrame per table, deduplicated and typed per the schema.
- io:         Hadoop FileSystem helpers and the staged, all-or-nothing publish of a run's output.
- job:        run_transform(), the whole run; the Glue entry point (glue/transform_job.py) only parses arguments.
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
