"""The Glue job (glue/transform_job.py) on local Spark: its own main() and command line, with the tuned local session.

    .venv/bin/python local/spark/run_glue_job.py --RAW_RUN_PREFIX <run folder> --PROCESSED_PREFIX <root>/processed/
        --REJECTS_PREFIX <root>/rejects/ --RUN_ID R [--ATTEMPT_ID A] [--SPARK_MASTER local[2]] [--SPARK_DRIVER_MEMORY 2g]

What local/spark/run-transform.ts spawns and bench/glue_bench.py times. The job checks its arguments and the runs'
manifests first and asks for the session only then (a run without a manifest fails before a JVM starts); the
session is this launcher's, which stops it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_session import GLUE_DIR, session_for_run  # noqa: E402

sys.path.insert(0, str(GLUE_DIR))
import transform_job  # noqa: E402


def main(argv: list[str]) -> int:
    sessions = []

    def session(args: dict[str, str], raw_bytes: int | None):
        sessions.append(session_for_run(args, raw_bytes))
        return sessions[-1]

    try:
        return transform_job.main(argv, session)
    finally:
        for spark in sessions:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
