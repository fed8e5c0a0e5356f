"""Many small models: a cold `interlace run` against the same CREATE TABLE AS statements on raw DuckDB.

Generates a layered DAG of N SQL models (each reads one or two earlier ones), then times, each in
a fresh process so imports and connection set-up count:
  raw         one DuckDB connection executing the N `CREATE OR REPLACE TABLE ... AS` in order
  interlace   `interlace.open(dir).run()` (discovery, sqlglot inference, planning, parallel build,
              one transaction per model with its run record, catalogue and schema history)

    python bench/many_models.py [--models 2000] [--repeat 3] [--workers 2] [--baseline DIR]

``--baseline DIR`` (another checkout's root, e.g. ``git worktree add /tmp/base main``) times that
tree too, interleaved with this one in the same repetitions (each run from a neutral working
directory with ``PYTHONPATH=DIR``, so the other tree's ``interlace`` is the one imported).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(root: Path, n: int) -> list[str]:
    """Write N model files; return the raw CTAS statements in a valid order."""
    models = root / "models"
    models.mkdir(parents=True)
    statements = []
    for i in range(n):
        if i == 0:
            sql = "SELECT range AS id, range * 2 AS x FROM range(100)"
        else:
            parents = sorted({(i - 1) // 2, max(i - 7, 0)})
            first = f"m{parents[0]:05d}"
            sql = f"SELECT {first}.id, " + " + ".join(f"m{p:05d}.x" for p in parents) + " AS x FROM " + first
            for p in parents[1:]:
                sql += f" JOIN m{p:05d} USING (id)"
        (models / f"m{i:05d}.sql").write_text(sql + "\n")
        statements.append(f'CREATE OR REPLACE TABLE "m{i:05d}" AS {sql}')
    return statements


RAW = """
import duckdb, sys, time
t = time.perf_counter()
con = duckdb.connect(sys.argv[1])
for line in open(sys.argv[2]):
    con.execute(line)
con.close()
print(time.perf_counter() - t)
"""

INTERLACE = """
import sys, time
t = time.perf_counter()
import interlace
ws = interlace.open(sys.argv[1])
result = ws.run(max_workers=int(sys.argv[2]))
assert result.ok, result.errors[:1]
ws.close()
print(time.perf_counter() - t)
"""


WHICH = "import interlace, os; print(os.path.dirname(os.path.dirname(interlace.__file__)))"


def timed(script: str, *args: str, tree: str | None = None) -> float:
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True,
                         env=env, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - start
    float(out.stdout.strip().splitlines()[-1])  # the script's own figure (sanity)
    return wall


def imported_from(tree: str | None) -> str:
    env = {**os.environ, "PYTHONPATH": tree} if tree else None
    return subprocess.run([sys.executable, "-c", WHICH], capture_output=True, text=True, check=True, env=env,
                          cwd=tempfile.gettempdir()).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--baseline", help="another checkout's root, timed interleaved with this tree")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"models: {args.models}, workers: {args.workers}, repeat: {args.repeat} (best of, wall clock, fresh process)")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    here = str(Path(__file__).resolve().parents[1])
    trees = {"this tree": here} | ({"baseline": args.baseline} if args.baseline else {})
    for label, tree in trees.items():
        print(f"{label}: interlace from {imported_from(tree)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        statements = generate(root, args.models)
        sql_file = Path(tmp) / "statements.sql"
        sql_file.write_text("\n".join(statements) + "\n")
        raw_times: list[float] = []
        cold: dict[str, list[float]] = {label: [] for label in trees}
        warm: dict[str, list[float]] = {label: [] for label in trees}
        for _ in range(args.repeat):
            for label, tree in trees.items():
                db = Path(tmp) / "raw.duckdb"
                db.unlink(missing_ok=True)
                raw_times.append(timed(RAW, str(db), str(sql_file)))
                shutil.rmtree(root / ".interlace", ignore_errors=True)
                cold[label].append(timed(INTERLACE, str(root), str(args.workers), tree=tree))
                warm[label].append(timed(INTERLACE, str(root), str(args.workers), tree=tree))
        raw = min(raw_times)
        print(f"raw duckdb (CTAS x {args.models}):        {raw:7.2f} s   (all: {_fmt(raw_times)})")
        for label in trees:
            c, w = min(cold[label]), min(warm[label])
            print(f"{label}: interlace run, cold (empty warehouse): {c:7.2f} s   ratio {c / raw:5.2f}x raw"
                  f"   (all: {_fmt(cold[label])})")
            print(f"{label}: interlace run, again (no change):      {w:7.2f} s   ratio {w / raw:5.2f}x raw")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
