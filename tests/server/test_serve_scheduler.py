"""A real `interlace serve` fires an `every: 1s` schedule: runs recorded in state, once per tick."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

import interlace
from tests.conftest import run_cli, write_files
from tests.server.test_serve_cli import _serve, _wait_healthy


@pytest.mark.slow
def test_serve_fires_an_every_second_schedule_through_the_run_manager(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nscheduler:\n  poll_interval: 0.2\n"
                       "schedules:\n  hourly_report:\n    selector: base\n    cron: '0 * * * *'\n",
        "models/base.sql": "-- @model(materialize='table')\nSELECT 1 AS x\n",
        "models/ticker.sql": "-- @model(materialize='table', schedule={'every': '1s'})\nSELECT count(*) AS n FROM base\n",
    })
    created = run_cli("keys", "create", "reader", "--scope", "read", "-d", str(project))
    assert created.returncode == 0, created.stderr
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    process, url = _serve(project)
    try:
        _wait_healthy(url, process)
        deadline = time.monotonic() + 60
        while True:  # until three fires of the schedule have finished
            listed = httpx.get(url + "/api/v1/schedules", headers=headers, timeout=10).json()
            ticker = next(s for s in listed["schedules"] if s["name"] == "model:ticker")
            with_runs = httpx.get(url + "/api/v1/runs?limit=100", headers=headers, timeout=10).json()["runs"]
            if sum(r["status"] == "success" for r in with_runs) >= 3:
                break
            assert process.poll() is None and time.monotonic() < deadline, "the schedule did not fire"
            time.sleep(0.2)
        status = httpx.get(url + "/api/v1/scheduler/status", headers=headers, timeout=10).json()
        assert status["running"] is True and status["schedules"] == ["hourly_report", "model:ticker"]
        assert status["errors"] == {} and status["ticks"] >= 3
        assert {s["name"]: (s["kind"], s["when"], s["select"]) for s in listed["schedules"]} == {
            "hourly_report": ("models", "cron '0 * * * *' (UTC)", ["base"]),
            "model:ticker": ("model", "every 1s", ["ticker"])}
        assert ticker["next_fire_at"] is not None
        assert httpx.get(url + "/api/v1/notebook_runs", headers=headers, timeout=10).json() == {"notebook_runs": []}
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    with interlace.open(project) as ws:
        runs = [r for r in ws.runs.history(1000) if r.finished]
        fires = ws.schedule_fires("model:ticker", limit=1000)
        assert runs and all(r.trigger == "schedule:model:ticker" and r.selector == "ticker" for r in runs)
        # every finished fire has its own run and its own whole second; no tick ran twice
        done = [f for f in fires if f.status == "success"]
        assert len(done) >= 3 and len({f.run_id for f in done}) == len(done)
        assert len({f.scheduled_at for f in fires}) == len(fires)
        assert all(f.scheduled_at.microsecond == 0 for f in fires)
        assert {r.run_id for r in runs if r.status == "success"} == {f.run_id for f in done}
        assert all(r.status == "success" for r in ws.model_runs(model="ticker", limit=1000))
