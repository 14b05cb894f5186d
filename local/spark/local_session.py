"""The local SparkSession: Glue's Spark on one machine, tuned to start fast for small runs.

Used by the local run (local/spark/run_glue_job.py), the Python test suites (conftest.py), the Glue benchmark and
the jest local-run tests' warm Spark. The Glue job never imports this: it is handed the session. The settings the
output depends on (UTC session time zone, TIMESTAMP_MICROS, no _SUCCESS files) are the job's own
(spotify_transform.job.configure_session) and apply on Glue too; the ones here only make a local JVM quick.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import sys
import time
from pathlib import Path

from pyspark.sql import SparkSession

GLUE_DIR = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE_DIR))
from spotify_transform.job import configure_session  # noqa: E402

DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
# Below this much raw JSON a local run is dominated by the JVM's warm-up, not by data: see quick_jit below.
QUICK_JIT_MAX_RAW_BYTES = 64 * 1024 * 1024
# A run that claimed the class archive dump and then died leaves its lock file; after this long no live run
# can still be dumping (a dump takes seconds), so the next run takes the claim over.
STALE_ARCHIVE_LOCK_SECONDS = 15 * 60


def class_archive_options(java_home: str) -> tuple[list[str], tuple[str, str] | None]:
    """JVM options for an AppCDS archive of the classes a local Spark job loads (JDK 17+), and, when this run
    writes the archive, (temporary file, archive) for publish_class_archive.

    Loading and verifying Spark's ~15,000 classes is about half of a small run's first job. The first run with a
    given JDK and pyspark dumps the classes it loaded at JVM exit (one run claims that with an exclusive lock
    file) into a temporary file that is renamed into place once the JVM has exited, so no run ever maps a
    half-written archive; later runs map it and start ~2-3 s sooner. A stale archive is ignored by the JVM
    (-Xshare:auto, the default). CDS logging is off: the JVM's stdout is the job's stdout.
    """
    try:
        release = Path(java_home, "release").read_text(encoding="utf-8")
        major = int(release.split('JAVA_VERSION="', 1)[1].split(".", 1)[0].split('"', 1)[0])
    except (OSError, IndexError, ValueError):
        return [], None
    if major < 17:
        return [], None
    import pyspark

    key = hashlib.sha256(f"{Path(java_home).resolve()}|{release}|{pyspark.__file__}|{pyspark.__version__}".encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spotify-transform"
    archive = cache / f"spark-classes-{key}.jsa"
    quiet = "-Xlog:cds=off -Xlog:cds+dynamic=off"
    if archive.exists():
        return [f"-XX:SharedArchiveFile={archive}", quiet], None
    lock = Path(f"{archive}.lock")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if lock.exists() and time.time() - lock.stat().st_mtime > STALE_ARCHIVE_LOCK_SECONDS:
            lock.unlink(missing_ok=True)
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except OSError:  # another run is writing it, or no writable cache: run without
        return [], None
    temporary = f"{archive}.{os.getpid()}.tmp"
    return [f"-XX:ArchiveClassesAtExit={temporary}", quiet], (temporary, str(archive))


def publish_class_archive(spark: SparkSession, temporary: str, archive: str) -> None:
    """At interpreter exit: stop the JVM (it exits when its stdin closes), wait for its dump, rename it into place."""
    from pyspark import SparkContext

    proc = getattr(SparkContext._gateway, "proc", None)
    try:
        spark.stop()
        if proc is not None:
            proc.stdin.close()
            proc.wait(timeout=120)
    except Exception:  # the archive is an optimisation; a failure here must not fail the run
        pass
    if os.path.exists(temporary):
        os.replace(temporary, archive)


def local_spark_session(
    master: str = "local[2]", driver_memory: str = "2g", app_name: str = "spotify-transform", quick_jit: bool = False
) -> SparkSession:
    """A SparkSession for local runs and tests: quick to start (no UI, no Hive, few shuffle partitions).

    quick_jit: for small inputs, only the JIT's fast tier (C1). A small run is a dozen short Spark jobs whose
    generated code runs for milliseconds; the optimising tier costs more compile time than it saves there. A
    large run needs it, so callers pass quick_jit only for small inputs.
    """
    if not os.environ.get("JAVA_HOME") and Path(DEFAULT_JAVA_HOME, "bin", "java").exists():
        os.environ["JAVA_HOME"] = DEFAULT_JAVA_HOME
    # Python workers import spotify_transform: put glue/ on their path (the JVM passes PYTHONPATH on to them).
    python_path = [str(GLUE_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(python_path))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    log4j = GLUE_DIR / "log4j2.properties"
    java_options = [f"-Dlog4j2.configurationFile={log4j.as_uri()}"] if log4j.exists() else []
    archive_options, archive_to_publish = class_archive_options(os.environ.get("JAVA_HOME", DEFAULT_JAVA_HOME))
    java_options += archive_options
    if quick_jit:
        java_options.append("-XX:TieredStopAtLevel=1")
    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        .config("spark.executorEnv.PYTHONPATH", os.environ["PYTHONPATH"])
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # The settings the output depends on, as the job sets them (also for tests that read and write without it).
    configure_session(spark)
    if archive_to_publish is not None:
        atexit.register(publish_class_archive, spark, *archive_to_publish)
    return spark


def session_for_run(args: dict[str, str], raw_bytes: int | None) -> SparkSession:
    """The session for one job run of glue/transform_job.py (its --SPARK_MASTER / --SPARK_DRIVER_MEMORY), with the
    quick JIT when the input is known to be small (raw_bytes: the runs' local raw JSON; None for s3:// input)."""
    return local_spark_session(
        master=args.get("SPARK_MASTER") or "local[2]",
        driver_memory=args.get("SPARK_DRIVER_MEMORY") or "2g",
        quick_jit=raw_bytes is not None and raw_bytes <= QUICK_JIT_MAX_RAW_BYTES,
    )
