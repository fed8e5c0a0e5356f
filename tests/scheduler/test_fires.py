"""Fires that take time: overlap is skipped, and notebook schedules run in a real kernel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import interlace
from interlace.runner.notebook import run_scheduled
from interlace.scheduler import Scheduler
from tests.conftest import write_files
from tests.runner.test_notebook_run import write_notebook

T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)


def test_a_tick_while_the_previous_fire_still_runs_is_skipped(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\n",
        "models/waits.py": f"""
            import time
            from pathlib import Path

            from interlace import model


            @model(materialize="table", schedule={{"every": "1m"}})
            def waits():
                while not Path({str(gate)!r}).exists():  # the test opens the gate
                    time.sleep(0.05)
                return __import__("pyarrow").table({{"x": [1]}})
        """,
    })
    with interlace.open(project) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        (first,) = scheduler.tick(T0 + timedelta(minutes=1))
        (second,) = scheduler.tick(T0 + timedelta(minutes=2))
        assert second.status == "skipped"
        assert second.error == "skipped: the fire scheduled at 2026-01-05T07:01:00+00:00 is still running"
        gate.touch()
        scheduler.wait_idle()
        assert [(f.scheduled_at.astimezone(UTC), f.status) for f in reversed(ws.schedule_fires("model:waits"))] == [
            (T0 + timedelta(minutes=1), "success"), (T0 + timedelta(minutes=2), "skipped")]
        assert ws.run_record(first.run_id).status == "success"


def test_a_notebook_schedule_runs_papermill_with_its_parameters(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nschedules:\n  report:\n    notebook: notebooks/hello.ipynb\n"
                       "    parameters: {who: scheduler, times: 2}\n    every: 1h\n    timeout: 120\n",
    })
    write_notebook(project / "notebooks" / "hello.ipynb", [
        ("params", "who = 'world'\ntimes = 1", ["parameters"]),
        ("greet", "print(' '.join([f'hello {who}'] * times))", []),
    ])
    with interlace.open(project) as ws:
        scheduler = Scheduler(ws, notebook_runner=run_scheduled)
        scheduler.load(T0)
        (fire,) = scheduler.tick(T0 + timedelta(hours=1))
        assert fire.status == "running"
        scheduler.wait_idle()
        (record,) = ws.notebook_runs()
        assert (record.status, record.trigger, record.parameters) == (
            "success", "schedule:report", {"who": "scheduler", "times": 2})
        assert "hello scheduler hello scheduler" in Path(record.output_path).read_text()
        (stored,) = ws.schedule_fires("report")
        assert (stored.status, stored.run_id) == ("success", record.run_id)
        scheduler.stop()
