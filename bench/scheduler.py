"""The scheduler's overhead, and ``interlace notebook run`` vs plain papermill.

1. fire -> model started, in process: ``Scheduler.trigger(name)`` (claim the tick in state, plan
   forced, hand to the run manager) until the model's ``model.started`` event, vs the same model
   started directly with ``ws.runs.start(ws.plan(...))`` (the floor: the run manager's own cost).
   The difference is what the scheduler adds per fire.
2. tick due -> model started, with the real loop (``Scheduler.start``) and an ``every: 1s``
   schedule: the scheduled time of each tick until its model starts, at ``poll_interval`` 1 s
   (the default) and 0.1 s. This is what a user waits: the poll interval dominates.
3. ``interlace notebook run NB -p ...`` vs ``papermill NB OUT -p ...`` on the same one-cell
   notebook, each a fresh process (what a cron job or a CI step pays), interleaved, and in process
   (``run_notebook`` vs ``papermill.execute_notebook``). interlace adds the parameter check, the
   workspace open/close, the record and the archive.

    python bench/scheduler.py [--fires 30] [--loop-fires 8] [--notebooks 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat

import interlace
from interlace.options import RunOptions
from interlace.scheduler import Scheduler

MODEL = "-- @model(materialize='table')\nSELECT 1 AS x\n"


def _project(root: Path, config: str) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "models" / "one.sql").write_text(MODEL)
    (root / "config.yaml").write_text(config)
    return root


class Started:
    """perf_counter() of each model.started event."""

    def __init__(self, ws: interlace.Workspace) -> None:
        self.times: list[tuple[float, datetime]] = []
        self.event = threading.Event()
        ws.events.subscribe(self._on, types=["model.started"])

    def _on(self, _event: object) -> None:
        self.times.append((time.perf_counter(), datetime.now(UTC)))
        self.event.set()

    def wait(self) -> float:
        assert self.event.wait(60), "the model did not start"
        self.event.clear()
        return self.times[-1][0]


def fire_overhead(work: Path, fires: int) -> tuple[list[float], list[float]]:
    root = _project(work / "fire", "name: b\nschedules:\n  one:\n    selector: one\n    every: 1h\n")
    scheduled, direct = [], []
    with interlace.open(root) as ws:
        started = Started(ws)
        scheduler = Scheduler(ws)
        scheduler.load()
        base = datetime.now(UTC)
        for i in range(fires):  # interleaved: one of each per iteration
            t0 = time.perf_counter()
            scheduler.trigger("one", base + timedelta(seconds=i))
            scheduled.append(started.wait() - t0)
            scheduler.wait_idle()
            t0 = time.perf_counter()
            handle = ws.runs.start(ws.plan(RunOptions(select=("one",), force=True)))
            direct.append(started.wait() - t0)
            handle.wait(60)
        scheduler.stop()
    return scheduled, direct


def loop_latency(work: Path, poll: float, fires: int) -> list[float]:
    root = _project(work / f"loop-{poll}", f"name: b\nscheduler:\n  poll_interval: {poll}\n"
                    "schedules:\n  one:\n    selector: one\n    every: 1s\n")
    with interlace.open(root) as ws:
        started = Started(ws)
        scheduler = Scheduler(ws).start()
        deadline = time.monotonic() + fires * 3 + 30
        while len(started.times) < fires + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.stop()
        fires_done = {f.run_id: f.scheduled_at for f in ws.schedule_fires("one", limit=1000) if f.run_id}
        runs = {r.run_id: r for r in ws.runs.history(1000)}
    latencies = []
    starts = sorted(t for _, t in started.times)
    for run_id, tick in sorted(fires_done.items(), key=lambda kv: kv[1]):
        if run_id in runs:
            after = [s for s in starts if s >= tick]
            if after:
                latencies.append((after[0] - tick).total_seconds())
    return latencies[1:]  # the first tick may be the one before start()


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "interlace", "display_name": "interlace", "language": "python"}
    params = nbformat.v4.new_code_cell("n = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(n * 2)")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def notebook_overhead(work: Path, repeat: int) -> dict[str, list[float]]:
    root = _project(work / "nb", "name: b\n")
    nb = _notebook(root / "notebooks" / "one.ipynb")
    papermill = str(Path(sys.executable).with_name("papermill"))
    out: dict[str, list[float]] = {"interlace (process)": [], "papermill (process)": [],
                                   "interlace (in process)": [], "papermill (in process)": []}
    import papermill as pm

    from interlace.runner.notebook import NotebookRequest, run_notebook

    for i in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "interlace", "notebook", "run", "notebooks/one.ipynb", "-p", "n", str(i),
                        "-d", str(root)], check=True, capture_output=True)
        out["interlace (process)"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([papermill, str(nb), str(work / "pm.ipynb"), "-p", "n", str(i), "-k", "interlace"],
                       check=True, capture_output=True)
        out["papermill (process)"].append(time.perf_counter() - t0)
        with interlace.open(root) as ws:
            t0 = time.perf_counter()
            record = run_notebook(NotebookRequest("notebooks/one.ipynb", {"n": str(i)}), workspace=ws)
            out["interlace (in process)"].append(time.perf_counter() - t0)
            assert record.status == "success", record.error
        t0 = time.perf_counter()
        pm.execute_notebook(str(nb), str(work / "pm2.ipynb"), parameters={"n": i}, kernel_name="interlace",
                            progress_bar=False, log_output=False)
        out["papermill (in process)"].append(time.perf_counter() - t0)
    return out


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fires", type=int, default=30)
    parser.add_argument("--loop-fires", type=int, default=8)
    parser.add_argument("--notebooks", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="interlace-bench-sched-"))
    try:
        scheduled, direct = fire_overhead(work, args.fires)
        print("1. fire -> model started (median, in process)")
        print(f"   Scheduler.trigger       {_ms(scheduled)}")
        print(f"   ws.runs.start (floor)   {_ms(direct)}")
        print(f"   scheduler adds          {(statistics.median(scheduled) - statistics.median(direct)) * 1000:8.1f} ms"
              f"  ({statistics.median(scheduled) / statistics.median(direct):.2f}x)")
        print("2. tick due -> model started, real loop, every: 1s (median)")
        for poll in (1.0, 0.1):
            lat = loop_latency(work, poll, args.loop_fires)
            print(f"   poll_interval {poll:<4}      {_ms(lat)}  max {max(lat) * 1000:.0f} ms")
        print("3. notebook run vs papermill (median)")
        times = notebook_overhead(work, args.notebooks)
        for name, values in times.items():
            print(f"   {name:<24}{_ms(values)}")
        for kind in ("process", "in process"):
            a, b = statistics.median(times[f"interlace ({kind})"]), statistics.median(times[f"papermill ({kind})"])
            print(f"   {kind:<10} interlace adds {(a - b) * 1000:8.1f} ms ({a / b:.2f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
