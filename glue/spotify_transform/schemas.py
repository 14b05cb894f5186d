"""The processed table schemas, loaded from schemas/tables.json: the ONE column list the job writes.

Where the JSON is found, in order (raw_documents.py finds schemas/raw-documents.json the same way, with
--RAW_DOCUMENTS_PATH / RAW_DOCUMENTS_PATH):
1. an explicit path (the job's --SCHEMA_PATH argument) or the SCHEMA_PATH environment variable;
2. next to the running script or in the working directory (Glue's --extra-files lands files in the working dir);
3. the repository path (glue/spotify_transform/../../schemas/tables.json), for local runs and tests.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

SCHEMA_FILE_NAME = "tables.json"
LOGICAL_TYPES = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")
# The kind of the commit-record table; every other kind is a data table.
COMMIT_KIND = "commit"


class SchemaError(Exception):
    """tables.json is missing or not the shape this job understands."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class TableSchema:
    name: str
    kind: str
    # Row identity within one run, without the run columns (the job dedups on it).
    key: tuple[str, ...]
    # Table columns followed by the run columns, in the order the Parquet files carry them.
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def spark_schema(self):
        """The pyspark StructType of the written table (types and nullability from tables.json)."""
        from pyspark.sql import types as T

        return T.StructType([T.StructField(c.name, spark_type(c.type), c.nullable) for c in self.columns])


@dataclass(frozen=True)
class Schemas:
    path: str
    version: int
    run_columns: tuple[Column, ...]
    tables: Mapping[str, TableSchema]

    @property
    def table_names(self) -> list[str]:
        return list(self.tables)

    @property
    def data_table_names(self) -> list[str]:
        """The tables an attempt writes rows to (every table but the commit-record table)."""
        return [name for name, table in self.tables.items() if table.kind != COMMIT_KIND]

    @property
    def commit_table_name(self) -> str:
        """The commit-record table (kind "commit"): one row per table an attempt published, written last."""
        names = [name for name, table in self.tables.items() if table.kind == COMMIT_KIND]
        if len(names) != 1:
            raise SchemaError(f'{self.path} must define exactly one table of kind "{COMMIT_KIND}" (the commit records); found {names}')
        return names[0]

    def table(self, name: str) -> TableSchema:
        try:
            return self.tables[name]
        except KeyError:
            raise SchemaError(f'unknown table "{name}"; {self.path} defines: {", ".join(self.tables)}') from None


def spark_type(logical: str):
    from pyspark.sql import types as T

    mapping = {
        "string": T.StringType(),
        "int": T.IntegerType(),
        "bigint": T.LongType(),
        "double": T.DoubleType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        # UTC wall-clock time without a zone: Parquet TIMESTAMP(MICROS, isAdjustedToUTC=false), which every reader
        # (Snowflake with USE_LOGICAL_TYPE, DuckDB, Spark) takes as it is, whatever its session's time zone.
        "timestamp": T.TimestampNTZType(),
    }
    try:
        return mapping[logical]
    except KeyError:
        raise SchemaError(f'unknown logical type "{logical}"; known: {", ".join(LOGICAL_TYPES)}') from None


def candidate_paths(explicit: str | None = None, file_name: str = SCHEMA_FILE_NAME, env_var: str = "SCHEMA_PATH") -> list[Path]:
    """Where a declaration file of schemas/ is looked for, in order (see the module docstring)."""
    candidates: list[Path] = []
    for value in (explicit, os.environ.get(env_var)):
        if value:
            candidates.append(Path(value))
    if sys.argv and sys.argv[0]:
        candidates.append(Path(sys.argv[0]).resolve().parent / file_name)
    candidates.append(Path.cwd() / file_name)
    candidates.append(Path(__file__).resolve().parent.parent.parent / "schemas" / file_name)
    return candidates


def find_declaration_file(explicit: str | None, file_name: str, env_var: str, error: type[SchemaError] = SchemaError) -> Path:
    """The schemas/ file `file_name` (tables.json, raw-documents.json): the explicit path (the job argument
    --<env_var>), else the env_var environment variable, else the first that exists beside the script, in the
    working directory (Glue's --extra-files) or in the repository. Raises `error` naming what it tried."""
    # An explicit path that does not exist is an error, not a reason to fall back silently to another file.
    for value, origin in ((explicit, f"--{env_var}"), (os.environ.get(env_var), env_var)):
        if value:
            if not Path(value).is_file():
                raise error(f"{origin} points to {value}, which is not a file; fix the path or unset it")
            return Path(value)
    found = candidate_paths(None, file_name, env_var)
    for candidate in found:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(p) for p in found)
    raise error(
        f"schemas/{file_name} not found (tried {tried}); pass --{env_var}, set {env_var}, "
        f"or ship {file_name} with the job (Glue: --extra-files)"
    )


def find_schema_file(explicit: str | None = None) -> Path:
    return find_declaration_file(explicit, SCHEMA_FILE_NAME, "SCHEMA_PATH")


def read_declaration(path: Path, error: type[SchemaError] = SchemaError) -> Any:
    """The parsed JSON of a declaration file; `error` when it cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as cause:
        raise error(f"cannot read {path}: {cause}") from cause


def _columns(raw: Sequence[Mapping], where: str) -> tuple[Column, ...]:
    columns = []
    for c in raw:
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str) or c.get("type") not in LOGICAL_TYPES:
            raise SchemaError(f"{where}: every column needs a name and a type in {LOGICAL_TYPES}; got {c!r}")
        columns.append(Column(c["name"], c["type"], bool(c.get("nullable", True))))
    return tuple(columns)


def parse_schemas(document: Mapping, path: str = "<memory>") -> Schemas:
    if not isinstance(document, Mapping) or not isinstance(document.get("tables"), Mapping):
        raise SchemaError(f"{path}: expected an object with a 'tables' object")
    run_columns = _columns(document.get("run_columns", []), f"{path} run_columns")
    run_names = {c.name for c in run_columns}
    tables = {}
    for name, spec in document["tables"].items():
        columns = _columns(spec.get("columns", []), f"{path} table {name}")
        key = tuple(k for k in spec.get("key", []) if k not in run_names)
        unknown = [k for k in key if k not in {c.name for c in columns}]
        if unknown:
            raise SchemaError(f"{path} table {name}: key columns {unknown} are not columns of the table")
        tables[name] = TableSchema(name=name, kind=str(spec.get("kind", "fact")), key=key, columns=columns + run_columns)
    return Schemas(path=path, version=int(document.get("version", 1)), run_columns=run_columns, tables=tables)


def load_schemas(explicit: str | None = None) -> Schemas:
    path = find_schema_file(explicit)
    return parse_schemas(read_declaration(path), str(path))
