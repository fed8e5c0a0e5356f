"""Many small models: a cold `interlace run` against the same CREATE TABLE AS statements on raw DuckDB.

Generates a layered DAG of N SQL models (each reads one or two earlier ones), then times, each in
a fresh process so imports and connection set-up count:
  raw         one DuckDB connection executing the N `CREATE OR REPLACE TABLE ... AS` in order
  interlace   `interlace.open(dir).run()` (discovery, sqlglot inference, planning, parallel build,
              one transaction per model with its run record, catalogue and schema history)

    python bench/many_models.py [--models 2000] [--repeat 3] [--workers 2]
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


def timed(script: str, *args: str) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    float(out.stdout.strip().splitlines()[-1])  # the script's own figure (sanity)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"models: {args.models}, workers: {args.workers}, repeat: {args.repeat} (best of, wall clock, fresh process)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        statements = generate(root, args.models)
        sql_file = Path(tmp) / "statements.sql"
        sql_file.write_text("\n".join(statements) + "\n")
        raw_times, il_cold, il_warm = [], [], []
        for _ in range(args.repeat):
            db = Path(tmp) / "raw.duckdb"
            db.unlink(missing_ok=True)
            raw_times.append(timed(RAW, str(db), str(sql_file)))
            shutil.rmtree(root / ".interlace", ignore_errors=True)
            il_cold.append(timed(INTERLACE, str(root), str(args.workers)))
            il_warm.append(timed(INTERLACE, str(root), str(args.workers)))
        raw, cold, warm = min(raw_times), min(il_cold), min(il_warm)
        print(f"raw duckdb (CTAS x {args.models}):        {raw:7.2f} s")
        print(f"interlace run, cold (empty warehouse): {cold:7.2f} s   ratio {cold / raw:5.2f}x raw")
        print(f"interlace run, again (no change):      {warm:7.2f} s   ratio {warm / raw:5.2f}x raw")


if __name__ == "__main__":
    main()
