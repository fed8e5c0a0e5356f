"""What a DuckDB commit costs, and whether two threads overlap their commits.

N tiny ``CREATE TABLE … AS`` statements (100 rows each) into a fresh database file, in process:
  1 thread, autocommit        one commit per table (what raw DuckDB does statement by statement)
  2 threads, autocommit       two cursors, tables split between them: do commits overlap?
  1 thread, groups of G       BEGIN, G tables, COMMIT (interlace.engine.groups)
  2 threads, groups of G
Each variant: best of ``--repeat`` on a fresh file; the close (checkpoint) is timed separately.

    python bench/commits.py [--tables 1000] [--group 32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import duckdb


def build(path: Path, tables: int, threads: int, group: int) -> tuple[float, float]:
    con = duckdb.connect(str(path))
    names = [f"t{i:05d}" for i in range(tables)]
    shares = [names[k::threads] for k in range(threads)]

    def work(share: list[str]) -> None:
        cur = con.cursor()
        for start in range(0, len(share), group):
            chunk = share[start:start + group]
            if group > 1:
                cur.begin()
            for name in chunk:
                cur.execute(f'CREATE TABLE "{name}" AS SELECT range AS id, range * 2 AS x FROM range(100)')
            if group > 1:
                cur.commit()
        cur.close()

    t0 = time.perf_counter()
    workers = [threading.Thread(target=work, args=(share,)) for share in shares]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    t1 = time.perf_counter()
    con.close()
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--group", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    variants = [("1 thread, autocommit", 1, 1), ("2 threads, autocommit", 2, 1),
                (f"1 thread, groups of {args.group}", 1, args.group),
                (f"2 threads, groups of {args.group}", 2, args.group)]
    best: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved: load drift hits every variant alike
            for label, threads, group in variants:
                path = Path(tmp) / f"{threads}-{group}.duckdb"
                for p in (path, Path(f"{path}.wal")):
                    p.unlink(missing_ok=True)
                build_s, close_s = build(path, args.tables, threads, group)
                if label not in best or build_s < best[label][0]:
                    best[label] = (build_s, close_s)
    floor = best[variants[0][0]][0]
    for label, (build_s, close_s) in best.items():
        print(f"{label:28s} {build_s:6.2f} s  ({build_s / floor:4.2f}x)   "
              f"{build_s / args.tables * 1000:5.2f} ms/table   close {close_s:5.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
