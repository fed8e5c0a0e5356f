"""Several `interlace worker` processes on one DuckLake (PostgreSQL catalog): speed-up with 1, 2, 4.

Starts a real PostgreSQL (Debian's, as the tests do), writes the generated DAG of the worker test
(tests/workers/dag.py, without its gate model), then for each worker count builds it from a fresh
catalog database and data path: N `interlace worker` processes started together, timed until the
last one exits. Each count is checked: every model is `done` in the queue.

    python bench/workers.py [--models 200] [--workers 1,2,4]

On a 2-core machine more than two workers cannot go faster; the figures say what the machine had.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres_server import postgres_server  # noqa: E402
from tests.workers.dag import write_dag  # noqa: E402


def build(server: str, root: Path, models: int, workers: int) -> float:
    import psycopg

    name = f"bench_{workers}_{int(time.time() * 1000)}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    dsn = server.replace("dbname=interlace", f"dbname={name}")
    project = root / name
    config = (f"connections:\n  lake: {{type: ducklake, metadata: postgres, dsn: \"{dsn}\", "
              f"data_path: \"{project / 'data'}\"}}\ndefault_connection: lake\n")
    write_dag(project, config, models=models, gate=False)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "interlace", "worker", "--queue", "bench", "--id", f"w{n}",
                               "--project-dir", str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for n in range(workers)]
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed:\n{out[-3000:]}\n{err[-2000:]}")
    elapsed = time.perf_counter() - start
    with psycopg.connect(dsn, autocommit=True) as db:
        done = db.execute("SELECT count(*) FROM interlace_queue.leases WHERE queue = 'bench' AND state = 'done'"
                          ).fetchall()[0][0]
    if done != models:
        raise SystemExit(f"{workers} worker(s): {done} of {models} models done")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"{args.models} models, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
        base = None
        for n in counts:
            seconds = build(server, Path(tmp), args.models, n)
            base = base or seconds
            print(f"  {n} worker(s): {seconds:7.1f} s   speed-up {base / seconds:4.2f}x", flush=True)


if __name__ == "__main__":
    main()
