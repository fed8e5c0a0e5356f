"""The reliability path end to end, in real processes: `interlace scheduler` with an `every: 1s`
schedule that fails, its retries, dead letters and signed notifications; `interlace dlq`,
`schedule pause|resume` and `breaker`; SIGKILL while a fire waits to retry, then a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import interlace
from interlace.scheduler import Scheduler
from tests.conftest import run_cli, write_files
from tests.reliability.receiver import Receiver

FLAKY = """
    from pathlib import Path

    import pyarrow as pa

    from interlace import model


    @model(materialize="table")
    def flaky():
        with open({calls!r}, "a") as calls:
            calls.write("call\\n")
        if Path({down!r}).exists():
            raise ConnectionError("upstream api unreachable")
        return pa.table({{"x": [1]}})
"""


def _project(tmp_path: Path, schedule: str, extra: str = "") -> tuple[Path, Path, Path]:
    down, calls = tmp_path / "down", tmp_path / "calls"
    down.touch()
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nscheduler:\n  poll_interval: 0.1\n" + extra
                       + "schedules:\n  load:\n    selector: flaky\n" + schedule,
        "models/flaky.py": FLAKY.format(calls=str(calls), down=str(down)),
    })
    return root, down, calls


def _scheduler(project: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "interlace", "scheduler", "-d", str(project)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})})


@pytest.mark.slow
def test_failing_fires_are_retried_dead_lettered_notified_then_retried_from_the_cli(tmp_path: Path) -> None:
    with Receiver() as receiver:
        project, down, calls = _project(
            tmp_path, "    every: 1s\n    retry_policy: {max_attempts: 2, initial_delay: 0.2, jitter: false}\n",
            f"notifications:\n  webhook:\n    url: {receiver.url}\n    secret_env: HOOK_SECRET\n"
            "circuit_breaker:\n  enabled: false\n")  # else the 5th ConnectionError opens it
        process = _scheduler(project, {"HOOK_SECRET": "topsecret"})
        try:
            (headers, body, _), *_ = receiver.wait_for(2)
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "topsecret" not in err
        assert headers["X-Interlace-Signature"].startswith("sha256=")
        payload = json.loads(body)
        assert payload["schedule"] == "load" and payload["attempts"] == 2
    assert "schedule load: attempt 1 failed" in err

    listed = run_cli("dlq", "list", "-d", str(project), "--json")
    assert listed.returncode == 0, listed.stderr
    letters = json.loads(listed.stdout)
    assert len(letters) >= 2 and {x["attempts"] for x in letters} == {2}
    assert all("upstream api unreachable" in x["error"] for x in letters)
    first, second = letters[-1], letters[-2]
    with interlace.open(project) as ws:  # each letter is one tick whose two runs both failed
        runs = [r for r in ws.runs.history(200) if r.trigger == "schedule:load"]
        fires = {f.scheduled_at: f for f in ws.schedule_fires("load")}
        letter_fire = fires[datetime.fromisoformat(first["scheduled_at"])]
        assert (letter_fire.status, letter_fire.attempt, letter_fire.run_id) == ("failed", 2, first["run_id"])
        assert len(fires) == len({f.scheduled_at for f in ws.schedule_fires("load")})
        assert runs and all(r.status in ("failed", "interrupted", "cancelled") for r in runs)

    shown = run_cli("dlq", "show", str(first["id"]), "-d", str(project))
    assert shown.returncode == 0 and "schedule: load" in shown.stdout and "upstream api unreachable" in shown.stdout
    down.unlink()
    retried = run_cli("dlq", "retry", str(first["id"]), "-d", str(project))
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith(f"#{first['id']}: retry run ") and "success; the entry is resolved" in retried.stdout
    resolved = run_cli("dlq", "resolve", str(second["id"]), "--note", "covered by the retry", "-d", str(project))
    assert resolved.stdout.strip() == f"#{second['id']}: resolved (covered by the retry)"
    again = run_cli("dlq", "retry", str(first["id"]), "-d", str(project))
    assert again.returncode == 2
    assert f"Error: dead letter {first['id']} is resolved already (retried: run " in again.stderr
    missing = run_cli("dlq", "show", "999", "-d", str(project))
    assert missing.returncode == 2 and "Error: no dead letter with id 999; open ones:" in missing.stderr
    listed = run_cli("dlq", "list", "--status", "resolved", "-d", str(project), "--json")
    assert {x["id"] for x in json.loads(listed.stdout)} == {first["id"], second["id"]}


@pytest.mark.slow
def test_sigkill_while_a_fire_waits_to_retry_then_restart_runs_the_retry_once(tmp_path: Path) -> None:
    project, down, calls = _project(
        tmp_path, "    every: 1h\n    retry_policy: {max_attempts: 3, initial_delay: 1, jitter: false}\n",
        "  misfire_grace: 2h\n")
    with interlace.open(project) as ws:  # the schedule existed an hour before: its tick is due now
        Scheduler(ws).load(datetime.now(UTC) - timedelta(hours=1))
        tick = ws.schedule_records()["load"].next_fire_at
    process = _scheduler(project)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        line = ""
        while "retrying at" not in line:  # logged once 'retrying' is in state
            assert time.monotonic() < deadline and process.poll() is None, "attempt 1 did not fail"
            line = process.stderr.readline()
    finally:
        process.kill()
        process.communicate(timeout=60)
    assert calls.read_text().count("call") == 1
    with interlace.open(project) as ws:
        (fire,) = ws.schedule_fires("load")
        assert (fire.scheduled_at, fire.status, fire.attempt) == (tick, "retrying", 1)
    down.unlink()
    process = _scheduler(project)
    try:
        deadline = time.monotonic() + 60
        while calls.read_text().count("call") < 2:
            assert time.monotonic() < deadline and process.poll() is None, "the retry did not run"
            time.sleep(0.1)
        time.sleep(1.5)  # a few more ticks: nothing else may run
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert calls.read_text().count("call") == 2
    with interlace.open(project) as ws:
        (fire,) = ws.schedule_fires("load")
        assert (fire.scheduled_at, fire.status, fire.attempt) == (tick, "success", 2)
        assert [r.status for r in ws.runs.history(10)] == ["success", "failed"]
        assert ws.dlq.list() == []


def test_schedule_pause_resume_and_breaker_from_the_cli(tmp_path: Path) -> None:
    project, _, _ = _project(tmp_path, "    every: 1h\n")
    paused = run_cli("schedule", "pause", "load", "-d", str(project))
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.strip() == "load: paused (`interlace schedule resume load` fires it again)"
    listed = json.loads(run_cli("schedule", "list", "-d", str(project), "--json").stdout)
    assert [(r["name"], r["paused"]) for r in listed] == [("load", True)]
    resumed = run_cli("schedule", "resume", "load", "-d", str(project))
    assert resumed.stdout.startswith("load: resumed, next fire ")
    unknown = run_cli("schedule", "pause", "lod", "-d", str(project))
    assert unknown.returncode == 2 and "no schedule named 'lod'. Did you mean 'load'?" in unknown.stderr
    assert run_cli("breaker", "list", "-d", str(project)).stdout.strip() == (
        "No connection has failed: every breaker is closed.")
    reset = run_cli("breaker", "reset", "warehouse", "-d", str(project))
    assert reset.returncode == 2
    assert "Error: connection 'warehouse' has no circuit breaker (breakers: none)" in reset.stderr
