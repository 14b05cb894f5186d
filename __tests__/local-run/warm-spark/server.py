"""One Spark session for the local-run tests' transforms (local/spark/run-transform.ts spawns one Python, and so one
Spark JVM, per job run: ~8 s of start-up and JIT warm-up each, six times over in __tests__/local-run).

Started by warm-spark.ts with the project's Python: starts the local session as local/spark/run_glue_job.py would for
a small run, then serves job runs over a Unix socket. Each request is the command line run-transform.ts built
(`local/spark/run_glue_job.py --RAW_RUN_PREFIX ...`), relayed by the `python` client next to this file; the server
runs the Glue job's main() on it with this session (the session is the server's: main() leaves it running, as in a
batch of runs and as the Python suites share theirs), with its stdout and stderr captured, and answers with both and
the exit code. Exits when its stdin closes (the test process ended), so it never outlives the tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
import threading
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "local" / "spark" / "run_glue_job.py"
sys.path.insert(0, str(SCRIPT.parent))

from local_session import GLUE_DIR, local_spark_session  # noqa: E402

sys.path.insert(0, str(GLUE_DIR))
import transform_job  # noqa: E402


def serve(socket_path: str) -> None:
    # The options run_glue_job.py uses for a small local run (the tests' runs are far below QUICK_JIT_MAX_RAW_BYTES).
    spark = local_spark_session(master="local[2]", driver_memory="2g", quick_jit=True)

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + socket_path[1:] if socket_path.startswith("@") else socket_path)
    listener.listen(1)
    # The test process closes our stdin when it ends (or dies): stop then, whatever we are doing.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print("WARM_SPARK_READY", flush=True)

    while True:
        conn, _ = listener.accept()
        with conn:
            request = json.loads(conn.makefile("r", encoding="utf8").readline())
            out, err = io.StringIO(), io.StringIO()
            argv = request["argv"]
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                if not argv or Path(argv[0]).resolve() != SCRIPT:
                    print(f"the warm Spark runs only {SCRIPT}, not {argv[:1]}", file=sys.stderr)
                    code = 1
                else:
                    try:
                        os.chdir(request["cwd"])
                        code = transform_job.main(argv, lambda _args, _raw_bytes: spark)
                    except SystemExit as exit_:
                        code = exit_.code if isinstance(exit_.code, int) else 1
                    except BaseException:  # as the script would: the traceback on stderr, exit code 1
                        traceback.print_exc()
                        code = 1
            conn.sendall((json.dumps({"stdout": out.getvalue(), "stderr": err.getvalue(), "code": code}) + "\n").encode("utf8"))
    spark.stop()  # pragma: no cover (the loop ends with the process)


if __name__ == "__main__":
    serve(sys.argv[1])
