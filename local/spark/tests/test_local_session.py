"""The local runs' AppCDS class archive (local/spark/local_session.py): claimed by one run, reclaimed after a dead run,
never fatal."""
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import local_session as job  # noqa: E402


@pytest.fixture()
def fake_jdk(tmp_path: Path) -> Path:
    home = tmp_path / "jdk"
    home.mkdir()
    (home / "release").write_text('JAVA_VERSION="17.0.15"\n', encoding="utf-8")
    return home


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "spotify-transform"


def test_a_java_home_without_a_release_file_means_no_archive(tmp_path: Path, cache_dir: Path) -> None:
    assert job.class_archive_options(str(tmp_path / "not-a-jdk")) == ([], None)


def test_the_first_run_claims_the_dump_and_a_concurrent_run_goes_without(fake_jdk: Path, cache_dir: Path) -> None:
    options, publish = job.class_archive_options(str(fake_jdk))
    assert publish is not None
    temporary, archive = publish
    assert options[0] == f"-XX:ArchiveClassesAtExit={temporary}"
    assert Path(f"{archive}.lock").exists()
    assert job.class_archive_options(str(fake_jdk)) == ([], None)


def test_a_lock_left_by_a_dead_run_is_taken_over_once_stale(fake_jdk: Path, cache_dir: Path) -> None:
    _, (_, archive) = job.class_archive_options(str(fake_jdk))
    lock = Path(f"{archive}.lock")
    old = time.time() - job.STALE_ARCHIVE_LOCK_SECONDS - 60
    os.utime(lock, (old, old))
    options, publish = job.class_archive_options(str(fake_jdk))
    assert publish is not None and options[0].startswith("-XX:ArchiveClassesAtExit=")


def test_a_published_archive_is_mapped_by_later_runs(fake_jdk: Path, cache_dir: Path) -> None:
    _, (temporary, archive) = job.class_archive_options(str(fake_jdk))
    Path(archive).write_bytes(b"archive")
    options, publish = job.class_archive_options(str(fake_jdk))
    assert publish is None
    assert options[0] == f"-XX:SharedArchiveFile={archive}"
