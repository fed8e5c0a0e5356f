"""Fresh-process figures of issue 20: `interlace --help`/`--version` and a no-change `interlace run`.

The first no-change run of a tree goes the full way (and records its answer); the following ones
are what a user gets when nothing changed (interlace.nochange). Each figure is timed in a fresh process, repetitions interleaved between this tree and a baseline
tree (``--baseline DIR``: another checkout, e.g. ``git archive main | tar -x -C /tmp/base``), so a
noisy, shared machine slows both alike. Reports medians and the ratio new / baseline.

    python bench/startup.py [--baseline DIR] [--models 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import REPO, machine_info
from many_models import generate

NO_PANDAS = "import sys; from interlace.cli.main import main\ntry:\n    main(sys.argv[1:])\n" \
            "except SystemExit:\n    pass\nprint('PANDAS', 'pandas' in sys.modules, file=sys.stderr)"


def timed(tree: Path, argv: list[str], cwd: Path) -> tuple[float, bool]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", NO_PANDAS, *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return wall, "PANDAS True" in done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare against")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(machine_info())
    trees = {"this tree": REPO} | ({"baseline": args.baseline} if args.baseline else {})
    with tempfile.TemporaryDirectory() as tmp:
        # one project per tree: a run records itself in the warehouse, which makes the other
        # tree's no-change answer stale (interlace.nochange keys it on the warehouse file)
        projects = {}
        for n, (name, tree) in enumerate(trees.items()):
            projects[name] = Path(tmp) / f"project{n}"
            generate(projects[name], args.models)
            timed(tree, ["run"], projects[name])  # build once: what follows is the no-change run
        cases = {"--help": ["--help"], "--version": ["--version"],
                 f"no-change run, {args.models} models": ["run"]}
        results: dict[tuple[str, str], list[float]] = {}
        pandas: dict[tuple[str, str], bool] = {}
        for _ in range(args.repeat):
            for case, argv in cases.items():
                for name, tree in trees.items():
                    wall, loaded = timed(tree, argv, projects[name])
                    results.setdefault((case, name), []).append(wall)
                    pandas[(case, name)] = loaded
    floor = [timed_floor() for _ in range(args.repeat)]
    print(f"python -c pass (floor): median {statistics.median(floor):.3f} s")
    for case in cases:
        line = f"{case:32s}"
        medians = {}
        for name in trees:
            medians[name] = statistics.median(results[(case, name)])
            line += f"  {name}: {medians[name]:6.3f} s (pandas {'yes' if pandas[(case, name)] else 'no'})"
        if "baseline" in medians:
            line += f"  ratio {medians['this tree'] / medians['baseline']:.2f}x"
        print(line)


def timed_floor() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
