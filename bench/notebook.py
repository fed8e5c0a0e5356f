"""The notebook face: what ``%load_ext interlace`` costs, and what building a model from a cell adds
over running the same SQL directly.

1. load: in a fresh process per repetition, an IPython shell is started (not timed), then
   ``%load_ext interlace`` is timed — and, separately, the first command that opens the workspace
   (DuckDB connection, state schema), which the extension defers until it is needed.
2. cell overhead: in one warm session, each iteration edits a one-line model and runs its cell,
      interlace  ``%%interlace_model one`` / ``SELECT {i} AS x`` — parse the line, declare the model,
                 plan (fingerprints vs state), build in one transaction with its run record,
                 catalogue and schema history, preview, and the ModelResult widget
      raw        ``CREATE OR REPLACE TABLE raw_one AS SELECT {i} AS x`` on the same DuckDB connection
   and the medians are compared (difference in ms and ratio). The SQL changes every iteration so
   interlace really rebuilds (an unchanged cell would be skipped as up to date). The cell is also
   split into its parts: declaring alone (``--no-run``) and the core's run alone (``ws.run``).

    python bench/notebook.py [--loads 7] [--cells 200]

Outside a kernel, widgets use a dummy comm, so the cell figures leave out sending widget state
to a browser.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOAD = """
import os, sys, time
os.chdir(sys.argv[1])
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
t0 = time.perf_counter()
shell.run_line_magic("load_ext", "interlace")
t1 = time.perf_counter()
shell.run_line_magic("interlace", "env")  # the first command opens the workspace
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def load_times(repeat: int) -> tuple[list[float], list[float]]:
    loads, opens = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as work:
            out = subprocess.run([sys.executable, "-c", LOAD, work], capture_output=True, text=True, check=True)
            load, first = map(float, out.stdout.split()[-2:])
            loads.append(load)
            opens.append(first)
    return loads, opens


def cell_times(iterations: int) -> tuple[list[float], list[float], list[float], list[float]]:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "interlace")
    workspace = shell.magics_manager.registry["InterlaceMagics"].session.workspace
    interlace_s, raw_s, declare_s, run_s = [], [], [], []
    with capture_output():
        shell.run_cell_magic("interlace_model", "one", "SELECT -1 AS x")  # warm: imports, first build
        for i in range(iterations):
            t0 = time.perf_counter()
            shell.run_cell_magic("interlace_model", "one", f"SELECT {i} AS x")
            t1 = time.perf_counter()
            workspace.sql(f"CREATE OR REPLACE TABLE raw_one AS SELECT {i} AS x")
            t2 = time.perf_counter()
            shell.run_cell_magic("interlace_model", "two --no-run", f"SELECT {i} AS x")
            t3 = time.perf_counter()
            workspace.run("two", trigger="notebook")  # the core's part alone: plan, build, state
            t4 = time.perf_counter()
            interlace_s.append(t1 - t0)
            raw_s.append(t2 - t1)
            declare_s.append(t3 - t2)
            run_s.append(t4 - t3)
    assert workspace.sql("SELECT x FROM one").fetchone() == (iterations - 1,)
    assert workspace.sql("SELECT x FROM raw_one").fetchone() == (iterations - 1,)
    return interlace_s, raw_s, declare_s, run_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=7, help="fresh processes for the load time")
    parser.add_argument("--cells", type=int, default=200, help="cell runs for the overhead")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    loads, opens = load_times(args.loads)
    print(f"%load_ext interlace:             median {statistics.median(loads) * 1000:7.1f} ms   "
          f"best {min(loads) * 1000:7.1f} ms   ({args.loads} fresh processes; target < 300 ms)")
    print(f"first command (opens warehouse): median {statistics.median(opens) * 1000:7.1f} ms   "
          f"best {min(opens) * 1000:7.1f} ms")
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        interlace_s, raw_s, declare_s, run_s = cell_times(args.cells)
        os.chdir(Path(__file__).resolve().parent)
    cell, raw, declare, run = (statistics.median(x) * 1000 for x in (interlace_s, raw_s, declare_s, run_s))
    print(f"one-line model from a cell:      median {cell:7.2f} ms   ({args.cells} edits of the cell)")
    print(f"same SQL on the connection:      median {raw:7.2f} ms")
    print(f"overhead per cell:               {cell - raw:7.2f} ms   ratio {cell / raw:5.1f}x raw   (target < 10 ms)")
    print(f"  declaring it (--no-run):       median {declare:7.2f} ms")
    print(f"  the run alone (ws.run, core):  median {run:7.2f} ms   (plan, build, run records, catalogue, schema history)")
    print(f"  the rest (preview, widget):    about  {cell - declare - run:7.2f} ms")


if __name__ == "__main__":
    main()
