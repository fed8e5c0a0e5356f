"""Scheduled fires on a fake clock: retries with backoff, the dead-letter queue, pause/resume,
overlap queue and max_concurrency, and a restart that resumes a fire waiting to retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import interlace
from interlace.errors import InvalidOptionError, UnknownDeadLetterError, UnknownScheduleError
from interlace.scheduler import Scheduler
from tests.conftest import write_files

T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
FLAKY = """
    from pathlib import Path

    import pyarrow as pa

    from interlace import model


    @model(materialize="table")
    def flaky():
        if Path({down!r}).exists():
            raise ConnectionError("warehouse api unreachable")
        return pa.table({{"x": [1]}})
"""
GATED = """
    import time
    from pathlib import Path

    import pyarrow as pa

    from interlace import model


    @model(materialize="table")
    def gated():
        while not Path({gate!r}).exists():  # the test opens the gate
            time.sleep(0.05)
        return pa.table({{"x": [1]}})
"""


class Now:
    def __init__(self) -> None:
        self.value = T0

    def __call__(self) -> datetime:
        return self.value


def flaky(tmp_path: Path, schedule: str) -> tuple[Path, Path]:
    down = tmp_path / "down"
    down.touch()
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nschedules:\n  load:\n    selector: flaky\n    every: 1m\n" + schedule,
        "models/flaky.py": FLAKY.format(down=str(down)),
    })
    return root, down


RETRY = "    retry_policy: {max_attempts: 3, initial_delay: 10, backoff: 2, jitter: false}\n"


def test_a_failing_fire_is_retried_with_backoff_then_dead_lettered(tmp_path: Path) -> None:
    root, down = flaky(tmp_path, RETRY)
    now = Now()
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws, clock=now)
        scheduler.load(T0)
        tick = T0 + timedelta(minutes=1)
        now.value = tick
        (first,) = scheduler.tick(tick)
        scheduler.wait_idle()
        (fire,) = ws.schedule_fires("load")
        assert (fire.status, fire.attempt, fire.retry_at) == ("retrying", 1, tick + timedelta(seconds=10))
        assert "warehouse api unreachable" in (fire.error or "")
        assert scheduler.tick(tick + timedelta(seconds=9)) == []  # not due yet
        now.value = tick + timedelta(seconds=10)
        (second,) = scheduler.tick(now.value)
        assert (second.status, second.attempt, second.scheduled_at) == ("running", 2, tick)
        scheduler.wait_idle()
        assert ws.schedule_fires("load")[0].retry_at == now.value + timedelta(seconds=20)
        now.value += timedelta(seconds=20)
        (third,) = scheduler.tick(now.value)
        assert third.attempt == 3
        scheduler.wait_idle()
        (fire,) = ws.schedule_fires("load")
        assert (fire.status, fire.attempt, fire.run_id) == ("failed", 3, third.run_id)
        runs = {first.run_id, second.run_id, third.run_id}
        assert {ws.run_record(r).status for r in runs} == {"failed"} and len(runs) == 3
        (letter,) = ws.dlq.list()
        assert (letter.kind, letter.schedule, letter.scheduled_at, letter.attempts, letter.run_id) == (
            "schedule", "load", tick, 3, third.run_id)
        assert letter.payload == {"schedule": "load", "select": ["flaky"]}
        assert ws.dlq.list(status="resolved") == []

        down.unlink()  # the outage is over: retrying the dead letter succeeds and resolves it
        outcome = ws.dlq.retry(letter.id)
        assert outcome.status == "success"
        assert ws.run_record(outcome.run_id).trigger == f"dlq:{letter.id}"
        resolved = ws.dlq.get(letter.id)
        assert (resolved.status, resolved.attempts, resolved.retry_run_ids) == ("resolved", 4, [outcome.run_id])
        assert resolved.resolution == f"retried: run {outcome.run_id} succeeded"
        with pytest.raises(InvalidOptionError, match=f"dead letter {letter.id} is resolved already"):
            ws.dlq.retry(letter.id)


def test_dlq_resolve_by_hand_and_unknown_ids(tmp_path: Path) -> None:
    root, _ = flaky(tmp_path, "")
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws, clock=lambda: T0 + timedelta(minutes=1))
        scheduler.load(T0)
        scheduler.tick(T0 + timedelta(minutes=1))
        scheduler.wait_idle()
        (letter,) = ws.dlq.list()
        assert letter.attempts == 1  # no retry policy: the first failure is the last
        ws.dlq.resolve(letter.id, "upstream fixed, next tick reloads")
        assert ws.dlq.get(letter.id).resolution == "upstream fixed, next tick reloads"
        with pytest.raises(UnknownDeadLetterError, match="no dead letter with id 99; open ones: none"):
            ws.dlq.get(99)
        with pytest.raises(UnknownDeadLetterError, match="'x' is not a dead-letter id"):
            ws.dlq.get("x")


def test_retry_on_that_does_not_match_fails_at_once(tmp_path: Path) -> None:
    root, _ = flaky(tmp_path, "    retry_policy: {max_attempts: 3, retry_on: [KeyError]}\n")
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws, clock=lambda: T0 + timedelta(minutes=1))
        scheduler.load(T0)
        scheduler.tick(T0 + timedelta(minutes=1))
        scheduler.wait_idle()
        assert [(f.status, f.attempt) for f in ws.schedule_fires("load")] == [("failed", 1)]


def test_a_restarted_scheduler_runs_the_pending_retry_once(tmp_path: Path) -> None:
    root, down = flaky(tmp_path, RETRY)
    tick = T0 + timedelta(minutes=1)
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws, clock=lambda: tick)
        scheduler.load(T0)
        scheduler.tick(tick)
        scheduler.wait_idle()
        scheduler.stop()  # stops with the retry not yet started: it stays 'retrying' in state
        assert ws.schedule_fires("load")[0].status == "retrying"
    down.unlink()
    with interlace.open(root) as ws:
        due = tick + timedelta(seconds=10)
        again = Scheduler(ws, clock=lambda: due)
        again.load(due)
        assert again.status()["pending"] == {"load": [
            {"scheduled_at": tick.isoformat(), "attempt": 2, "retry_at": due.isoformat()}]}
        (fire,) = again.tick(due)
        assert (fire.attempt, fire.scheduled_at) == (2, tick)
        again.wait_idle()
        assert again.tick(due + timedelta(seconds=1)) == []
        assert [(f.scheduled_at, f.status, f.attempt) for f in ws.schedule_fires("load")] == [
            (tick, "success", 2)]
        assert len([r for r in ws.runs.history(50) if r.trigger == "schedule:load"]) == 2


def test_a_paused_schedule_does_not_fire_and_resumes_without_catching_up(tmp_path: Path) -> None:
    root, down = flaky(tmp_path, "")
    down.unlink()
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        scheduler.pause("load")
        assert ws.schedule_records()["load"].paused is True
        assert scheduler.tick(T0 + timedelta(minutes=1)) == []
        assert scheduler.tick(T0 + timedelta(minutes=2)) == []
        assert ws.schedule_fires("load") == []
        assert scheduler.resume("load", T0 + timedelta(minutes=2, seconds=30)) == T0 + timedelta(minutes=3)
        assert scheduler.tick(T0 + timedelta(minutes=2, seconds=40)) == []
        (fire,) = scheduler.tick(T0 + timedelta(minutes=3))
        scheduler.wait_idle()
        assert [f.status for f in ws.schedule_fires("load")] == ["success"]
        with pytest.raises(UnknownScheduleError, match="no schedule named 'lod'. Did you mean 'load'"):
            scheduler.pause("lod")


def gated(tmp_path: Path, schedule: str) -> tuple[Path, Path]:
    gate = tmp_path / "gate"
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\nschedules:\n  slow:\n    selector: gated\n    every: 1m\n" + schedule,
        "models/gated.py": GATED.format(gate=str(gate)),
    })
    return root, gate


def test_overlap_queue_runs_the_tick_when_the_previous_fire_ends(tmp_path: Path) -> None:
    root, gate = gated(tmp_path, "    overlap: queue\n")
    with interlace.open(root) as ws:
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        (first,) = scheduler.tick(T0 + timedelta(minutes=1))
        (second,) = scheduler.tick(T0 + timedelta(minutes=2))
        assert (first.status, second.status) == ("running", "queued")
        assert ws.schedule_fires("slow")[0].status == "queued"
        gate.touch()
        scheduler.wait_idle()
        (started,) = scheduler.tick(T0 + timedelta(minutes=2, seconds=30))  # a slot is free
        assert (started.status, started.scheduled_at) == ("running", T0 + timedelta(minutes=2))
        scheduler.wait_idle()
        assert [(f.scheduled_at, f.status) for f in reversed(ws.schedule_fires("slow"))] == [
            (T0 + timedelta(minutes=1), "success"), (T0 + timedelta(minutes=2), "success")]


def test_max_concurrency_lets_fires_queue_in_the_run_manager_then_skips(tmp_path: Path) -> None:
    root, gate = gated(tmp_path, "    max_concurrency: 2\n")
    with interlace.open(root) as ws:  # run.policy is reject: the schedule's second fire queues anyway
        scheduler = Scheduler(ws)
        scheduler.load(T0)
        fires = [scheduler.tick(T0 + timedelta(minutes=n))[0] for n in (1, 2, 3)]
        assert [f.status for f in fires] == ["running", "running", "skipped"]
        assert fires[2].error == "skipped: 2 fires are in flight (max_concurrency 2)"
        assert ws.run_record(fires[1].run_id).status == "queued"
        gate.touch()
        scheduler.wait_idle()
        assert [f.status for f in reversed(ws.schedule_fires("slow"))] == ["success", "success", "skipped"]
