"""Build the documentation site of a generated project of 1,000 and 10,000 models.

The project is bench/layered.py's (20 layers, each model reading one or two of the layer below),
with a description on every model and column descriptions on the first layer (so the inheritance
pass has chains to follow). It is built once with `interlace run` (untimed), then
`interlace docs build` is timed in a fresh process:

  first     the first build: lineage of every SQL model is analysed (sqlglot) and stored
  again     a rebuild with nothing changed: lineage comes from the state store

and the site is measured: its size, its number of files, and the largest file a page loads
(a model page, a search shard). Target (issue 15): 10,000 models in <= 30 s.

    python bench/docs_site.py [--models 1000 10000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchkit import DATA_DIR, REPO, Timing, figure, machine_info, remove
from layered import LayeredProject

TARGET_S = 30.0
INTERLACE = [sys.executable, "-m", "interlace"]


def write(project: LayeredProject, root: Path) -> None:
    remove(root)
    project.write("interlace", root)
    for path in sorted((root / "models").glob("*.sql")):
        first_layer = path.stem.startswith("l00_")
        columns = ('columns={"id": "The row\'s id, carried through every layer.", '
                   '"k": "A bucket from 0 to 6.", "x": "The value this model computes."}, '
                   if first_layer else "")
        header = f'-- @model({columns}description="Model {path.stem} of the generated layered project.")\n'
        path.write_text(header + path.read_text())


CPU: list[float] = []  # CPU seconds (user + system) of each timed child: less skewed by a shared machine


def timed(args: list[str], cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def site_size(site: Path) -> tuple[int, int, int, int, int, int]:
    """(files, bytes, largest model page, largest search shard, number of shards, index.html bytes)."""
    files = [p for p in site.rglob("*") if p.is_file()]
    pages = [p.stat().st_size for p in files if p.parent.name == "models"]
    shards = [p.stat().st_size for p in files if p.parent.name == "search" and p.name != "shards.js"]
    return (len(files), sum(p.stat().st_size for p in files), max(pages, default=0), max(shards, default=0),
            len(shards), (site / "index.html").stat().st_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine_info())
    for count in args.models:
        project = LayeredProject(models=count, layers=20, rows=20)
        root = DATA_DIR / f"docs-{count}"
        write(project, root)
        run_s = timed([*INTERLACE, "run", "--project-dir", str(root)], REPO)
        first = timed([*INTERLACE, "docs", "build", "--project-dir", str(root)], REPO)
        again = Timing(tuple(timed([*INTERLACE, "docs", "build", "--project-dir", str(root)], REPO)
                             for _ in range(args.repeat)))
        cpu_first, cpu_again = CPU[-1 - args.repeat], CPU[-args.repeat:]
        files, total, page, shard, shard_count, index = site_size(root / "site")
        print(f"\n{count:,} models (built by `interlace run` in {run_s:.1f} s, untimed below)")
        figure("docs build, first (lineage analysed)", first, target=f"<= {TARGET_S:.0f} s")
        figure("docs build, again (lineage stored)", again, target=f"<= {TARGET_S:.0f} s")
        print(f"  CPU (user + system): first {cpu_first:.1f} s, again "
              f"{', '.join(f'{c:.1f}' for c in cpu_again)} s; load {os.getloadavg()[0]:.1f}")
        print(f"  site: {files:,} files, {total / 1e6:.1f} MB; largest model page {page / 1e3:.1f} kB, "
              f"largest search shard {shard / 1e6:.2f} MB ({shard_count} shards); index.html {index / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
