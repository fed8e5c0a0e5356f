"""Many small models: interlace against dbt-duckdb and SQLMesh (and raw DuckDB as the floor).

One generated layered project (bench/layered.py: 1,000 models in 10 layers over 200-row tables)
written three times with the same SQL; only how a model names another differs. Each command runs
in a fresh process (imports, project loading and warehouse checkpoint all count), best of N:

  cold full build   empty warehouse and no caches (dbt's target/ and SQLMesh's .cache/ removed)
  no-change rebuild the same command again right after, nothing edited
  one changed model one model in the middle layer edited (a new constant), the command again

The commands are what a user of each tool runs to bring the warehouse up to date:
  interlace   interlace run --project-dir P --max-workers W
  dbt         dbt run --project-dir P --profiles-dir P --threads W          (dbt-duckdb)
  sqlmesh     sqlmesh -p P plan --auto-apply --no-prompts   (gateway concurrent_tasks: W)
  raw duckdb  one connection executing the 1,000 CREATE TABLE ... AS in dependency order

dbt and SQLMesh live in their own virtualenv (bench/.peers-venv, made by `make bench`): SQLMesh
pins an older sqlglot, and dbt-core 1.12 does not install here.

    python bench/peers.py [--models 1000] [--layers 10] [--repeat 3] [--peer-repeat 2]
                          [--workers 2] [--tools interlace,dbt,sqlmesh]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
from benchkit import DATA_DIR, PEERS_VENV, Timing, figure, machine_info, remove, run_timed
from layered import LayeredProject

SCENARIOS = ("cold", "no-change", "one change")
TARGETS = {  # issue 7: interlace's speed-up over each peer, cold
    ("dbt", "cold"): 20.0,
    ("sqlmesh", "cold"): 10.0,
}
NO_CHANGE_TARGET_S = 1.0


class Tool:
    """How to build, clean and read one tool's copy of the project."""

    def __init__(self, name: str, root: Path, command: list[str], caches: tuple[str, ...], schema: str) -> None:
        self.name, self.root, self.command, self.caches, self.schema = name, root, command, caches, schema

    def clean(self) -> None:
        for rel in ("warehouse.duckdb", "warehouse.duckdb.wal", *self.caches):
            remove(self.root / rel)

    def build(self) -> float:
        return run_timed(self.command, cwd=self.root)

    def checksum(self, models: list[str]) -> tuple[int, int]:
        return checksum(self.root / "warehouse.duckdb", self.schema, models)


def checksum(db: Path, schema: str, models: list[str]) -> tuple[int, int]:
    """(rows, sum of x*(id+1)) over ``models``: equal when the tools computed the same tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        union = " UNION ALL ".join(f"SELECT id, x FROM {schema}.{m}" for m in models)
        rows, total = con.execute(f"SELECT count(*), sum(x * (id + 1))::HUGEINT FROM ({union})").fetchone()  # type: ignore[misc]
        return int(rows), int(total)
    finally:
        con.close()


def make_tools(project: LayeredProject, base: Path, workers: int, wanted: list[str]) -> dict[str, Tool]:
    peers_bin = PEERS_VENV / "bin"
    ours = Path(sys.executable).with_name("interlace")
    specs = {
        "interlace": ([str(ours), "run", "--project-dir", "{root}", "--max-workers", str(workers)], (".interlace",), "main"),
        "dbt": ([str(peers_bin / "dbt"), "run", "--project-dir", "{root}", "--profiles-dir", "{root}",
                 "--threads", str(workers)], ("target", "logs"), "main"),
        "sqlmesh": ([str(peers_bin / "sqlmesh"), "-p", "{root}", "plan", "--auto-apply", "--no-prompts"],
                    (".cache", "logs"), "bench"),
    }
    tools = {}
    for name in wanted:
        command, caches, schema = specs[name]
        root = base / name
        remove(root)
        project.write(name, root, threads=workers)
        tools[name] = Tool(name, root, [c.replace("{root}", str(root)) for c in command], caches, schema)
    return tools


RAW = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
for line in open(sys.argv[2]):
    con.execute(line)
con.close()
"""


def raw_floor(project: LayeredProject, base: Path, repeat: int) -> Timing:
    """The same CREATE TABLE ... AS statements on one DuckDB connection, fresh process."""
    base.mkdir(parents=True, exist_ok=True)
    statements = base / "raw_statements.sql"
    lines = []
    for i, name in enumerate(project.names()):
        layer, j = divmod(i, project.width)
        sql = project.sql(layer, j, lambda n: n).replace("\n", " ")
        lines.append(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
    statements.write_text("\n".join(lines) + "\n")
    db = base / "raw.duckdb"
    runs = []
    for _ in range(repeat):
        remove(db)
        remove(Path(f"{db}.wal"))
        runs.append(run_timed([sys.executable, "-c", RAW, str(db), str(statements)]))
    return Timing(tuple(runs))


def measure(tools: dict[str, Tool], project: LayeredProject, repeats: dict[str, int],
            on_cold: Callable[[Tool], None]) -> dict[str, dict[str, Timing]]:
    """Best of N per tool and scenario; a repetition is cold, then no-change, then one change.

    Repetitions are interleaved across the tools (interlace, dbt, sqlmesh, interlace, ...) so that
    drift in the machine's load hits every tool alike.
    """
    runs: dict[str, dict[str, list[float]]] = {t: {s: [] for s in SCENARIOS} for t in tools}
    for rep in range(max(repeats.values())):
        for name, tool in tools.items():
            if rep >= repeats[name]:
                continue
            tool.clean()
            runs[name]["cold"].append(tool.build())
            if rep == 0:
                on_cold(tool)
            runs[name]["no-change"].append(tool.build())
            project.edit_changed_model(name, tool.root, bump=rep + 1)  # a value never built before
            runs[name]["one change"].append(tool.build())
            project.edit_changed_model(name, tool.root, bump=0)
            print(f"  {name} repetition {rep + 1}/{repeats[name]}: "
                  + ", ".join(f"{s} {runs[name][s][-1]:.2f} s" for s in SCENARIOS), flush=True)
    return {t: {s: Timing(tuple(v)) for s, v in by.items()} for t, by in runs.items()}


def peer_versions() -> dict[str, str]:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        return {}
    code = ("import importlib.metadata as m\n"
            "print(' '.join(f'{p}=={m.version(p)}' for p in ('dbt-core', 'dbt-duckdb', 'sqlmesh', 'sqlglot', 'duckdb')))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return {"peers venv": out.stdout.strip() or out.stderr.strip()[-200:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions for interlace and raw DuckDB")
    parser.add_argument("--peer-repeat", type=int, default=2, help="repetitions for dbt and SQLMesh (slow)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--tools", default="interlace,dbt,sqlmesh")
    args = parser.parse_args()
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    if "interlace" not in wanted:
        parser.error("--tools must include interlace (the ratios are against it)")
    missing = [t for t in wanted if t != "interlace" and not (PEERS_VENV / "bin" / t).exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} not found in {PEERS_VENV}; run `make bench` (it creates the "
                         "peers virtualenv) or pass --tools interlace")

    project = LayeredProject(models=args.models, layers=args.layers)
    print(machine_info({
        "benchmark": f"peers: {args.models} models in {args.layers} layers of {project.rows}-row tables, "
                     f"{args.workers} workers/threads; best of {args.repeat} (interlace, raw) / "
                     f"{args.peer_repeat} (dbt, sqlmesh); wall clock of a fresh process",
        **peer_versions(),
    }))
    base = DATA_DIR / "peers"
    tools = make_tools(project, base, args.workers, wanted)
    checksums: dict[str, tuple[int, int]] = {}

    def on_cold(tool: Tool) -> None:
        checksums[tool.name] = tool.checksum(project.last_layer())

    raw = raw_floor(project, base, args.repeat)
    repeats = {name: args.repeat if name == "interlace" else args.peer_repeat for name in tools}
    results = measure(tools, project, repeats, on_cold)
    expected = checksum(base / "raw.duckdb", "main", project.last_layer())
    for name, got in checksums.items():
        verdict = "ok" if got == expected else f"MISMATCH (raw {expected})"
        print(f"check {name}: last layer rows={got[0]} checksum={got[1]} {verdict}")
    if any(got != expected for got in checksums.values()):
        raise SystemExit("the tools did not compute the same tables; the timings are not comparable")

    print()
    ours = results["interlace"]
    figure(f"raw duckdb, {args.models} x CTAS (floor)", raw)
    for scenario in SCENARIOS:
        target = ""
        if scenario == "no-change":
            met = ours[scenario].best < NO_CHANGE_TARGET_S
            target = f"< {NO_CHANGE_TARGET_S:.0f} s: {'met' if met else 'MISSED'}"
        figure(f"{scenario}: interlace", ours[scenario], base=raw, base_name="raw duckdb", target=target)
        for peer in (p for p in wanted if p != "interlace"):
            theirs = results[peer][scenario]
            speedup = theirs.best / ours[scenario].best
            goal = TARGETS.get((peer, scenario))
            label = {"dbt": "dbt-duckdb", "sqlmesh": "sqlmesh"}[peer]
            line = f"{scenario + ': ' + label:<52} {theirs.best:9.3f} s   interlace {speedup:6.2f}x faster"
            if goal:
                line += f"   [target >= {goal:.0f}x: {'met' if speedup >= goal else 'MISSED'}]"
            print(line, flush=True)


if __name__ == "__main__":
    main()
