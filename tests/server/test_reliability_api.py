"""The reliability endpoints over HTTP on 127.0.0.1: dead letters, breakers, pause/resume, /health."""

from __future__ import annotations

import time
from pathlib import Path

from interlace.retry import FakeClock
from interlace.scheduler import Scheduler
from tests.conftest import write_files
from tests.server.conftest import start_live

MODEL = """
    from pathlib import Path

    import pyarrow as pa

    from interlace import model


    @model(materialize="table")
    def feed():
        if Path({down!r}).exists():
            raise ConnectionError("feed server refused the connection")
        return pa.table({{"x": [1]}})
"""


def test_dlq_breakers_pause_and_health_over_http(tmp_path: Path) -> None:
    down = tmp_path / "down"
    down.touch()
    project = write_files(tmp_path / "p", {
        "config.yaml": "name: p\ncircuit_breaker:\n  failure_threshold: 1\n"
                       "schedules:\n  hourly:\n    selector: feed\n    every: 1h\n",
        "models/feed.py": MODEL.format(down=str(down)),
    })
    live = start_live(project)
    try:
        ws = live.workspace
        clock = FakeClock()
        ws.reliability.use_clock(clock)
        scheduler = Scheduler(ws, call=live.server.server.config.app.state.interlace.call)
        fire = scheduler.trigger("hourly")
        scheduler.wait_idle()
        with live.client("read") as c:
            (letter,) = c.get("/api/v1/dlq").json()["dead_letters"]
            assert (letter["kind"], letter["schedule"], letter["run_id"]) == ("schedule", "hourly", fire.run_id)
            assert "feed server refused the connection" in letter["error"]
            assert c.get(f"/api/v1/dlq/{letter['id']}").json()["attempts"] == 1
            missing = c.get("/api/v1/dlq/999")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "DEAD_LETTER_NOT_FOUND"
            (breaker,) = c.get("/api/v1/breakers").json()["breakers"]
            assert (breaker["connection"], breaker["status"], breaker["failures"]) == ("default", "open", 1)
            assert c.get("/health").json()["breakers_open"] == ["default"]
            detail = c.get("/api/v1/health").json()
            assert detail["status"] == "degraded" and detail["breakers"][0]["connection"] == "default"
            assert c.post(f"/api/v1/dlq/{letter['id']}/retry").status_code == 403  # read scope
        with live.client("admin") as c:
            assert c.post("/api/v1/breakers/nope/reset").status_code == 422
            assert c.post("/api/v1/breakers/default/reset").json()["breakers"][0]["status"] == "closed"
            assert c.get("/health").json()["breakers_open"] == []  # from memory, no state read
        down.unlink()
        with live.client("run") as c:
            started = c.post(f"/api/v1/dlq/{letter['id']}/retry")
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]
            assert live.wait_for_run(run_id)["status"] == "success"
            deadline = time.monotonic() + 30
            while c.get(f"/api/v1/dlq/{letter['id']}").json()["status"] != "resolved":
                assert time.monotonic() < deadline, "the retry did not resolve the entry"
                time.sleep(0.05)
            body = c.get(f"/api/v1/dlq/{letter['id']}").json()
            assert body["resolution"] == f"retried: run {run_id} succeeded"
            again = c.post(f"/api/v1/dlq/{letter['id']}/resolve", json={"note": "x"})
            assert again.status_code == 422 and "is resolved already" in again.json()["error"]["message"]
            paused = c.post("/api/v1/schedules/hourly/pause").json()
            assert paused["paused"] is True
            listed = c.get("/api/v1/schedules").json()["schedules"]
            assert [(s["name"], s["paused"], s["overlap"]) for s in listed] == [("hourly", True, "skip")]
            resumed = c.post("/api/v1/schedules/hourly/resume").json()
            assert resumed["paused"] is False and resumed["next_fire_at"]
            unknown = c.post("/api/v1/schedules/hourli/pause")
            assert unknown.status_code == 404 and "Did you mean 'hourly'" in unknown.json()["error"]["message"]
    finally:
        live.server.stop()
        live.workspace.close()
