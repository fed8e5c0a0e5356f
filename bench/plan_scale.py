"""Parse and plan at scale: discover and plan a generated project of 10,000 SQL models.

The project is bench/layered.py's (the same generator as peers.py: 20 layers of 500 models, each
reading one or two models of the layer below). Timed in a fresh process, best of N, with no
warehouse and no .interlace/ directory yet (what `interlace plan` costs the first time):

  total       import interlace + ``interlace.open(dir)`` + ``ws.models`` + ``ws.plan()``
  discover    reading the files, parsing headers, inferring dependencies with sqlglot
  plan        the graph (name resolution, topological order) and the plan (``ws.plan()``)
  floor       ``sqlglot.parse_one`` of the same 10,000 queries alone, in a fresh process: what
              any SQL-parsing tool built on sqlglot pays before doing anything of its own

Each repetition also runs the same process a second time with the files unchanged ("again"),
which is what a parse cache (interlace keeps one in .interlace/cache/) saves.

Target (issue 7): cold total <= 2 s (dbt's Rust engine parses 10k models in about 0.6 s; Python dbt
takes minutes).

    python bench/plan_scale.py [--models 10000] [--layers 20] [--repeat 3] [--baseline DIR]

With ``--baseline DIR`` (another checkout, e.g. ``git worktree add /tmp/base main``) every timed
process runs once with this tree and once with DIR on ``PYTHONPATH``, interleaved, from a neutral
working directory (``python -c`` puts the working directory first on ``sys.path``), and the cold
and warm totals are given as ratios this/baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchkit import DATA_DIR, Timing, figure, machine_info, remove
from layered import LayeredProject

TARGET_S = 2.0

PLAN = """
import json, sys, time
t0 = time.perf_counter()
import interlace
ws = interlace.open(sys.argv[1])
t1 = time.perf_counter()
n = len(ws.models)
t2 = time.perf_counter()
plan = ws.plan()
t3 = time.perf_counter()
steps = len(plan.steps)
ws.close()
print(json.dumps({"open": t1 - t0, "discover": t2 - t1, "plan": t3 - t2, "total": t3 - t0,
                  "models": n, "steps": steps}))
"""

FLOOR = """
import json, pathlib, sys, time
t0 = time.perf_counter()
import sqlglot
texts = [p.read_text() for p in sorted(pathlib.Path(sys.argv[1]).glob("models/*.sql"))]
for text in texts:
    sqlglot.parse_one(text, dialect="duckdb")
print(json.dumps({"total": time.perf_counter() - t0, "models": len(texts)}))
"""


THIS_TREE = Path(__file__).resolve().parents[1]


def fresh(script: str, *args: str, tree: Path = THIS_TREE) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit("the timed process failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--layers", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with, interleaved")
    args = parser.parse_args()
    print(machine_info({"benchmark": f"parse and plan: {args.models} generated SQL models in {args.layers} layers; "
                                     f"best of {args.repeat}; fresh process; cold = no warehouse, no .interlace/ (parse cache)"}))
    root = DATA_DIR / "plan-scale" / "project"
    remove(root)
    LayeredProject(models=args.models, layers=args.layers).write("interlace", root)

    runs: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    base_runs: list[dict[str, float]] = []
    base_warm: list[dict[str, float]] = []
    floors: list[float] = []
    trees = [(THIS_TREE, runs, warm)] + ([(args.baseline.resolve(), base_runs, base_warm)] if args.baseline else [])
    for _ in range(args.repeat):
        for tree, cold_list, warm_list in trees:
            for leftover in ("warehouse.duckdb", "warehouse.duckdb.wal", ".interlace"):
                remove(root / leftover)  # cold: no warehouse, no parse cache
            cold_list.append(fresh(PLAN, str(root), tree=tree))
            warm_list.append(fresh(PLAN, str(root), tree=tree))  # files unchanged: the parse cache
        floors.append(fresh(FLOOR, str(root))["total"])
        print(f"  repetition done, load {os.getloadavg()[0]:.2f}", flush=True)
    if runs[0]["models"] != args.models:
        raise SystemExit(f"discovered {runs[0]['models']} models, expected {args.models}")
    best = min(runs, key=lambda r: r["total"])
    best_warm = min(warm, key=lambda r: r["total"])
    total = Timing(tuple(r["total"] for r in runs))
    floor = Timing(tuple(floors))
    print(f"models discovered: {best['models']:.0f}; plan steps: {best['steps']:.0f}")
    print()
    figure("sqlglot.parse_one x N alone (floor)", floor)
    figure("cold:  import + open workspace", best["open"])
    figure("cold:  discover (files, headers, sqlglot)", best["discover"], base=floor, base_name="floor")
    figure("cold:  graph + plan (ws.plan())", best["plan"])
    figure(f"cold:  discover + plan {args.models} models, total", total, base=TARGET_S, base_name="target",
           target=f"<= {TARGET_S:.0f} s: {'met' if total.best <= TARGET_S else 'MISSED'}")
    figure("again: discover (files unchanged)", best_warm["discover"], base=best["discover"], base_name="cold")
    figure(f"again: discover + plan {args.models} models, total", Timing(tuple(r["total"] for r in warm)),
           base=TARGET_S, base_name="target")
    if base_runs:
        base_total = Timing(tuple(r["total"] for r in base_runs))
        base_again = Timing(tuple(r["total"] for r in base_warm))
        print()
        figure("baseline cold: discover + plan, total", base_total)
        figure("this tree cold / baseline cold", total, base=base_total, base_name="baseline")
        figure("baseline again: discover + plan, total", base_again)
        figure("this tree again / baseline again", Timing(tuple(r["total"] for r in warm)), base=base_again,
               base_name="baseline")

if __name__ == "__main__":
    main()
