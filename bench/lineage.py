"""`interlace lineage show` on a built TPC-DS project (123 models), in fresh processes.

The project: 24 staging models (``SELECT * FROM tpcds.main.<table>`` out of the attached,
read-only data file) and the 99 TPC-DS queries as models ``q01`` … ``q99`` (their text exactly as
DuckDB's ``tpcds_queries()`` gives it), built once with `interlace run`. Then, each repetition a
fresh process, this tree and (``--baseline DIR``, another checkout) the baseline interleaved:

  show column   `interlace lineage show q01.c_customer_id`   (one column, upstream)
  show model    `interlace lineage show q05`                 (every column of a model)

Reports medians and the ratio. Data: bench/tpch_data.py --suite tpcds in bench/.tpch-venv.

    python bench/lineage.py [--baseline DIR] [--repeat 5] [--sf 0.01]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from benchkit import BENCH_DIR, DATA_DIR, REPO, TPCH_VENV, machine_info, remove

TARGET = 0.3  # issue 12 item 16 / issue 20: a lineage query of a built project <= 0.3 s


def data_file(sf: float) -> Path:
    path = DATA_DIR / "tpcds" / f"sf{sf:g}.duckdb"
    if not path.exists():
        python = TPCH_VENV / "bin" / "python"
        if not python.exists():
            raise SystemExit(f"{python} not found: run `make bench/.tpch-venv/.installed-stamp`")
        subprocess.run([str(python), str(BENCH_DIR / "tpch_data.py"), "--suite", "tpcds",
                        "--sf", f"{sf:g}", "--out", str(path)], check=True)
    return path


def write_project(root: Path, data: Path) -> int:
    con = duckdb.connect(str(data), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_name <> 'tpcds_queries' ORDER BY 1").fetchall()]
        queries = con.execute("SELECT query_nr, query FROM tpcds_queries ORDER BY 1").fetchall()
    finally:
        con.close()
    remove(root)
    (root / "models").mkdir(parents=True)
    (root / "config.yaml").write_text(
        "name: tpcds\nconnections:\n  default:\n    type: duckdb\n    path: warehouse.duckdb\n"
        f"    attach: [{{name: tpcds, path: '{data}', read_only: true}}]\n")
    for table in tables:
        (root / "models" / f"{table}.sql").write_text(f"SELECT * FROM tpcds.main.{table}\n")
    for number, sql in queries:
        (root / "models" / f"q{number:02d}.sql").write_text(sql.strip().rstrip(";") + "\n")
    return len(tables) + len(queries)


def interlace(tree: Path, project: Path, *argv: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    start = time.perf_counter()
    # cwd=project: `python -m` puts the working directory first on sys.path, before PYTHONPATH
    subprocess.run([sys.executable, "-m", "interlace", *argv, "--project-dir", str(project)],
                   env=env, cwd=project, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sf", type=float, default=0.01)
    args = parser.parse_args()
    print(machine_info())
    trees = {"this tree": REPO} | ({"baseline": args.baseline} if args.baseline else {})
    projects = {name: DATA_DIR / "tpcds" / f"project-{i}" for i, name in enumerate(trees)}
    data = data_file(args.sf)
    for name, tree in trees.items():
        count = write_project(projects[name], data)
        built = interlace(tree, projects[name], "run")
        print(f"{name}: {count} models built in {built:.1f} s")
    cases = {"show column": ("lineage", "show", "q01.c_customer_id"),
             "show model": ("lineage", "show", "q05")}
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for case, argv in cases.items():
            for name, tree in trees.items():
                times.setdefault((case, name), []).append(interlace(tree, projects[name], *argv))
    for case in cases:
        medians = {name: statistics.median(times[(case, name)]) for name in trees}
        line = f"{case:12s}" + "".join(f"  {n}: {m:6.3f} s" for n, m in medians.items())
        if "baseline" in medians:
            line += f"  ratio {medians['this tree'] / medians['baseline']:.2f}x"
        print(line + f"  (target <= {TARGET} s)")


if __name__ == "__main__":
    main()
