"""File system access through Hadoop's FileSystem API (the same calls for file:// locally and s3:// on Glue).

The job writes each attempt under keys of its own and never moves or deletes another attempt's files
(attempts.py), so nothing here renames: a rename on S3 is a copy plus a delete per object.
"""

from __future__ import annotations

import os
import re
from typing import Any

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def to_uri(path: str) -> str:
    """A local path -> an absolute file:// URI; a URI (s3://, file:/...) is kept. Folders keep their slash."""
    if _SCHEME.match(path) and not re.match(r"^[a-zA-Z]:[\\/]", path):
        return path
    absolute = os.path.abspath(path)
    if path.endswith(("/", os.sep)) and not absolute.endswith("/"):
        absolute += "/"
    return "file://" + absolute


def folder_uri(path: str) -> str:
    uri = to_uri(path)
    return uri if uri.endswith("/") else uri + "/"


def parent_folder(uri: str) -> str:
    """'s3://bucket/processed/' -> 's3://bucket/'."""
    stripped = uri.rstrip("/")
    head, _, _ = stripped.rpartition("/")
    if not head or head.endswith(":/") and "//" not in stripped:
        raise ValueError(f"{uri} has no parent folder")
    return head + "/"


def bucket_root_of(run_uri: str, run_prefix_key: str) -> str | None:
    """'s3://bucket/raw/extract_date=D/run_id=R/' and 'raw/extract_date=D/run_id=R/' -> 's3://bucket/'; None when
    the URI does not end in that key prefix (then the bucket's root, where other runs' keys start, is unknown)."""
    folder = run_uri if run_uri.endswith("/") else run_uri + "/"
    return folder[: -len(run_prefix_key)] if folder.endswith("/" + run_prefix_key) else None


def is_local(uri: str) -> bool:
    return uri.startswith("file:")


def local_path(uri: str) -> str:
    """file:///a/b or file:/a/b -> /a/b."""
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path)


class HadoopFs:
    """Thin wrapper over org.apache.hadoop.fs.FileSystem through the session's JVM."""

    def __init__(self, spark: Any):
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str):
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, path):
        return path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path = self._path(uri)
        return bool(self._fs(path).exists(path))

    def delete(self, uri: str) -> None:
        path = self._path(uri)
        fs = self._fs(path)
        if fs.exists(path):
            fs.delete(path, True)

    def mkdirs(self, uri: str) -> None:
        path = self._path(uri)
        self._fs(path).mkdirs(path)

    def read_text(self, uri: str) -> str:
        path = self._path(uri)
        stream = self._fs(path).open(path)
        try:
            return self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()

    def list_names(self, uri: str) -> list[str]:
        if is_local(uri):
            # Python's view of a local folder includes the .crc files Hadoop's local file system hides.
            folder = local_path(uri)
            return sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        return sorted(status.getPath().getName() for status in fs.listStatus(path))

    def remove_hidden_files(self, uri: str) -> None:
        """Drops Hadoop's side files (.crc checksums, _SUCCESS) so a folder holds only the data files."""
        for name in self.list_names(uri):
            if name.startswith((".", "_")):
                if is_local(uri):
                    os.remove(os.path.join(local_path(uri), name))
                else:
                    self.delete(uri.rstrip("/") + "/" + name)

    def parquet_row_count(self, uri: str) -> int:
        """Rows in a Parquet file, from its footer (driver-side, no Spark job)."""
        hadoop_path = self._path(uri)
        parquet = self._jvm.org.apache.parquet.hadoop
        reader = parquet.ParquetFileReader.open(parquet.util.HadoopInputFile.fromPath(hadoop_path, self._conf))
        try:
            return int(reader.getRecordCount())
        finally:
            reader.close()
