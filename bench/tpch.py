"""TPC-H as a DAG: a cold `interlace run` against the same statements on raw DuckDB.

The project: eight staging models (``SELECT * FROM tpch.main.<table>``, copying each TPC-H table
out of the attached, read-only data file) and the 22 TPC-H queries as models ``q01`` … ``q22``,
their text exactly as DuckDB's ``tpch_queries()`` gives it (they read the staging models by name,
so interlace infers the DAG). Each in a fresh process, best of N, on an empty warehouse:

  raw duckdb  one connection: ATTACH the data file, then the 30 ``CREATE OR REPLACE TABLE … AS``
              in dependency order (staging first), close
  interlace   `interlace run` (discovery, sqlglot inference, plan, parallel build, one transaction
              per model with its run record, catalogue and schema history), close

Afterwards every query model is checked against DuckDB's ``tpch_answers()`` when it has answers
for the scale factor (0.01, 0.1 and 1). The data comes from the `duckdb-extension-tpch` package,
generated once by bench/tpch_data.py in bench/.tpch-venv into bench/.data/tpch/ (see there why a
separate virtualenv).

    python bench/tpch.py [--sf 1] [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
from benchkit import BENCH_DIR, DATA_DIR, TPCH_VENV, Timing, figure, machine_info, remove, run_timed

TABLES = ("nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem")
TARGET = 1.02  # issue 20 (was 1.05, issue 7): interlace cold <= 1.02x raw DuckDB


def data_file(sf: float) -> Path:
    """The TPC-H DuckDB file for ``sf``, generated on first use (outside the timed part)."""
    path = DATA_DIR / "tpch" / f"sf{sf:g}.duckdb"
    if not path.exists():
        python = TPCH_VENV / "bin" / "python"
        if not python.exists():
            raise SystemExit(f"{python} not found: run `make bench` (it creates bench/.tpch-venv with "
                             "duckdb-extension-tpch) or generate the data with bench/tpch_data.py")
        subprocess.run([str(python), str(BENCH_DIR / "tpch_data.py"), "--sf", f"{sf:g}", "--out", str(path)],
                       check=True)
    return path


def load_queries(data: Path, sf: float) -> tuple[dict[int, str], dict[int, str]]:
    """The 22 queries, and the expected answers for ``sf`` (empty if DuckDB has none)."""
    con = duckdb.connect(str(data), read_only=True)
    try:
        queries = {n: q.strip().rstrip(";").strip()
                   for n, q in con.execute("SELECT query_nr, query FROM tpch_queries ORDER BY 1").fetchall()}
        answers = dict(con.execute("SELECT query_nr, answer FROM tpch_answers WHERE abs(scale_factor - ?) < 1e-9",
                                   [sf]).fetchall())
    finally:
        con.close()
    return queries, answers


def statements(queries: dict[int, str]) -> list[tuple[str, str]]:
    """(model name, query) in dependency order: staging, then the queries."""
    staging = [(t, f"SELECT * FROM tpch.main.{t}") for t in TABLES]
    return staging + [(f"q{n:02d}", q) for n, q in sorted(queries.items())]


def write_project(root: Path, data: Path, models: list[tuple[str, str]], workers: int) -> None:
    remove(root)
    (root / "models").mkdir(parents=True)
    (root / "config.yaml").write_text(
        "name: tpch\n"
        "connections:\n"
        "  default:\n"
        "    type: duckdb\n"
        "    path: warehouse.duckdb\n"
        f"    attach: [{{name: tpch, path: '{data}', read_only: true}}]\n"
        f"run: {{max_workers: {workers}}}\n")
    for name, sql in models:
        tags = "staging" if name in TABLES else "tpch"
        (root / "models" / f"{name}.sql").write_text(f'-- @model(materialize="table", tags=["{tags}"])\n{sql}\n')


RAW = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1])
con.execute(f"ATTACH '{sys.argv[2]}' AS tpch (READ_ONLY)")
for name, sql in json.load(open(sys.argv[3])):
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
con.close()
"""


def verify(warehouse: Path, answers: dict[int, str]) -> list[str]:
    """Problems found comparing each query model with DuckDB's answer (empty: all match)."""
    problems = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for n, answer in sorted(answers.items()):
            lines = answer.split("\n")
            if lines[-1] == "":
                lines.pop()  # the answer's trailing newline (a blank line before it is a NULL row)
            expected = [line.split("|") for line in lines[1:]]
            got = con.execute(f'SELECT * FROM "q{n:02d}"').fetchall()
            if not _rows_match(got, expected) and not _rows_match(sorted(got, key=_key),
                                                                   sorted(expected, key=_key)):
                problems.append(f"q{n:02d}: {len(got)} rows, expected {len(expected)}; "
                                f"first row {got[:1]} vs {expected[:1]}")
    finally:
        con.close()
    return problems


def _key(row: Any) -> tuple[str, ...]:
    return tuple(_cell_text(v) for v in row)


def _cell_text(value: Any) -> str:
    if isinstance(value, float | decimal.Decimal):
        return f"{float(value):.2f}"
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return str(value).strip()


def _rows_match(got: list[Any], expected: list[Any]) -> bool:
    return len(got) == len(expected) and all(
        len(g) == len(e) and all(_cell_match(a, b) for a, b in zip(g, e, strict=True))
        for g, e in zip(got, expected, strict=True))


def _cell_match(value: Any, text: str) -> bool:
    if value is None:
        return text in ("NULL", "")
    if isinstance(value, bool):
        return str(value).lower() == text.lower()
    if isinstance(value, int | float | decimal.Decimal):
        try:
            return math.isclose(float(value), float(text), rel_tol=1e-6, abs_tol=0.01)
        except ValueError:
            return False
    if isinstance(value, dt.date | dt.datetime):
        return str(value) == text.strip()
    return str(value).strip() == text.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor (default 1)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--baseline", help="another checkout's root: its cold run is timed too, interleaved "
                        "(python -m interlace with PYTHONPATH=DIR from a neutral directory)")
    args = parser.parse_args()

    data = data_file(args.sf)
    queries, answers = load_queries(data, args.sf)
    models = statements(queries)
    print(machine_info({
        "benchmark": f"TPC-H sf={args.sf:g}: {len(TABLES)} staging models + {len(queries)} query models; "
                     f"{args.workers} workers; best of {args.repeat}; wall clock of a fresh process",
        "data": f"{data} ({data.stat().st_size / 2**20:.0f} MiB)",
    }))
    base = DATA_DIR / "tpch" / f"run-sf{args.sf:g}"
    project = base / "project"
    write_project(project, data, models, args.workers)
    raw_db = base / "raw.duckdb"
    raw_sql = base / "statements.json"
    import json

    raw_sql.write_text(json.dumps(models))
    interlace_cli = Path(sys.executable).with_name("interlace")
    warehouse = project / "warehouse.duckdb"

    run_cmd = ["run", "--project-dir", str(project), "--max-workers", str(args.workers)]
    here = str(BENCH_DIR.parent)
    print(f"load average at start: {os.getloadavg()[0]:.1f}")

    def fresh() -> None:
        for path in (raw_db, Path(f"{raw_db}.wal"), warehouse, Path(f"{warehouse}.wal"), project / ".interlace"):
            remove(path)

    def cold(tree: str) -> float:
        return run_timed([sys.executable, "-m", "interlace", *run_cmd], cwd=Path(BENCH_DIR.anchor),
                         env={"PYTHONPATH": tree})

    raw_runs, ours_runs, base_runs = [], [], []
    for rep in range(args.repeat):  # interleaved, so drift in machine load hits both alike
        fresh()
        raw_runs.append(run_timed([sys.executable, "-c", RAW, str(raw_db), str(data), str(raw_sql)]))
        if args.baseline:
            fresh()
            base_runs.append(cold(args.baseline))
            fresh()
            raw_runs.append(run_timed([sys.executable, "-c", RAW, str(raw_db), str(data), str(raw_sql)]))
            ours_runs.append(cold(here))
        else:
            ours_runs.append(run_timed([str(interlace_cli), *run_cmd]))
        print(f"  repetition {rep + 1}/{args.repeat}: raw {', '.join(f'{t:.2f}' for t in raw_runs[-2:])} s, "
              f"interlace {ours_runs[-1]:.2f} s" + (f", baseline {base_runs[-1]:.2f} s" if base_runs else ""),
              flush=True)
    raw, ours = Timing(tuple(raw_runs)), Timing(tuple(ours_runs))

    if answers:
        problems = verify(warehouse, answers)
        print(f"verify: {len(answers) - len(problems)}/{len(answers)} query models match tpch_answers() "
              f"at sf={args.sf:g}" + ("" if not problems else "\n  " + "\n  ".join(problems)))
        if problems:
            raise SystemExit("interlace's results differ from DuckDB's TPC-H answers")
    else:
        print(f"verify: tpch_answers() has no answers for sf={args.sf:g} (it has 0.01, 0.1, 1); not checked")
    problems = verify_same(raw_db, warehouse, [name for name, _ in models])
    print("verify: raw and interlace tables identical" if not problems else "MISMATCH raw vs interlace: "
          + ", ".join(problems))

    print()
    figure(f"raw duckdb, {len(models)} x CTAS, one connection", raw)
    ratio = ours.best / raw.best
    figure("interlace run, cold", ours, base=raw, base_name="raw duckdb",
           target=f"<= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'}")
    if base_runs:
        figure("baseline interlace run, cold", Timing(tuple(base_runs)), base=raw, base_name="raw duckdb")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def verify_same(raw_db: Path, warehouse: Path, names: list[str]) -> list[str]:
    """Models whose table differs between the raw run and interlace's (compared inside DuckDB)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"ATTACH '{raw_db}' AS raw (READ_ONLY)")
        return [n for n in names if con.execute(
            f'SELECT count(*) FROM ((SELECT * FROM main."{n}" EXCEPT ALL SELECT * FROM raw.main."{n}") '
            f'UNION ALL (SELECT * FROM raw.main."{n}" EXCEPT ALL SELECT * FROM main."{n}"))').fetchone()[0]]  # type: ignore[index]
    finally:
        con.close()


if __name__ == "__main__":
    main()
