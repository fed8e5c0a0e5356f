"""`interlace schedule list|status|trigger` and `interlace scheduler`, as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import interlace
from tests.conftest import run_cli, write_files


def _project(tmp_path: Path) -> Path:
    marker = tmp_path / "built"
    return write_files(tmp_path / "p", {
        "config.yaml": "name: p\nscheduler:\n  poll_interval: 0.2\n"
                       "schedules:\n  nightly:\n    selector: [base]\n    cron: '0 2 * * *'\n"
                       "    timezone: Europe/Paris\n  broken:\n    notebook: missing.ipynb\n    every: 1h\n",
        "models/base.sql": "-- @model(materialize='table')\nSELECT 1 AS x\n",
        "models/ticker.py": f"""
            from pathlib import Path

            import pyarrow as pa

            from interlace import model


            @model(materialize="table", schedule={{"every": "1s"}})
            def ticker():
                Path({str(marker)!r}).touch()  # the test waits for this
                return pa.table({{"n": [1]}})
        """,
    })


def test_schedule_list_trigger_and_status(tmp_path: Path) -> None:
    project = _project(tmp_path)
    listed = run_cli("schedule", "list", "-d", str(project))
    assert listed.returncode == 2  # a schedule that does not load is an error naming its key
    assert " ".join(listed.stderr.split()) == (  # (the terminal wraps the long path)
        f"Error: {project / 'config.yaml'}: schedules.broken.notebook 'missing.ipynb' does not exist "
        f"({project / 'missing.ipynb'}) Fix: check the path (it is relative to the project directory)")
    (project / "config.yaml").write_text((project / "config.yaml").read_text().split("  broken:")[0])
    listed = run_cli("schedule", "list", "-d", str(project), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["name"], r["kind"], r["when"], r["runs"]) for r in json.loads(listed.stdout)] == [
        ("model:ticker", "model", "every 1s", "ticker"),
        ("nightly", "models", "cron '0 2 * * *' (Europe/Paris)", "base")]
    fired = run_cli("schedule", "trigger", "nightly", "-d", str(project), "--json")
    assert fired.returncode == 0, fired.stderr
    fire = json.loads(fired.stdout)
    assert fire["status"] == "success" and fire["schedule"] == "nightly"
    status = run_cli("schedule", "status", "nightly", "-d", str(project), "--json")
    assert [f["run_id"] for f in json.loads(status.stdout)] == [fire["run_id"]]
    unknown = run_cli("schedule", "trigger", "nighty", "-d", str(project))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "Error: no schedule named 'nighty'. Did you mean 'nightly'? Schedules: model:ticker, nightly\n"
        "Fix: `interlace schedule list` shows them; model schedules are named model:<model>")
    with interlace.open(project) as ws:
        assert ws.run_record(fire["run_id"]).trigger == "schedule:nightly"


@pytest.mark.slow
def test_the_scheduler_command_fires_without_http_and_reports_a_bad_schedule(tmp_path: Path) -> None:
    project = _project(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "interlace", "scheduler", "-d", str(project)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "interlace scheduler for p (dev): 2 schedules"
        deadline = time.monotonic() + 60
        while not (tmp_path / "built").exists():
            assert process.poll() is None and time.monotonic() < deadline, "the schedule did not fire"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "schedule broken is not loaded: " in err and err.rstrip().endswith("Scheduler stopped.")
    with interlace.open(project) as ws:
        fires = ws.schedule_fires("model:ticker")
        assert fires and any(f.status == "success" for f in fires)
        assert all(r.trigger == "schedule:model:ticker" for r in ws.runs.history(100))


@pytest.mark.slow
def test_a_scheduler_killed_mid_run_leaves_the_tick_interrupted_neither_lost_nor_repeated(tmp_path: Path) -> None:
    marker, never = tmp_path / "started", tmp_path / "never"
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nscheduler:\n  poll_interval: 0.2\n  misfire_grace: 2h\n",
        "models/stuck.py": f"""
            import time
            from pathlib import Path

            import pyarrow as pa

            from interlace import model


            @model(materialize="table", schedule={{"every": "1h"}})
            def stuck():
                Path({str(marker)!r}).touch()
                while not Path({str(never)!r}).exists():
                    time.sleep(0.05)
                return pa.table({{"n": [1]}})
        """,
    })
    with interlace.open(project) as ws:  # the schedule existed an hour before: its tick is due now
        from datetime import UTC, datetime, timedelta

        from interlace.scheduler import Scheduler

        Scheduler(ws).load(datetime.now(UTC) - timedelta(hours=1))
        tick = ws.schedule_records()["model:stuck"].next_fire_at
    process = subprocess.Popen([sys.executable, "-m", "interlace", "scheduler", "-d", str(project)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None and time.monotonic() < deadline, "the schedule did not fire"
            time.sleep(0.1)
    finally:
        process.kill()
        process.communicate(timeout=60)
    with interlace.open(project) as ws:
        (fire,) = ws.schedule_fires("model:stuck")
        assert (fire.scheduled_at, fire.status) == (tick, "running")
        assert ws.run_record(fire.run_id).status == "interrupted"
        scheduler = Scheduler(ws)
        scheduler.load()
        (fire,) = ws.schedule_fires("model:stuck")
        assert (fire.status, fire.error) == ("interrupted", "the scheduler stopped before this fire finished")
        assert scheduler.tick(tick + timedelta(seconds=1)) == []  # the tick is not run again
        assert len(ws.runs.history(10)) == 1
        assert ws.schedule_records()["model:stuck"].next_fire_at > tick
