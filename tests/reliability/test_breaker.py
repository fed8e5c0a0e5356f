"""The circuit breaker of a connection: opens after N failures in a row, half-opens after the
cool-down (one trial), closes on success; state survives reopening the workspace."""

from __future__ import annotations

from pathlib import Path

import interlace
from interlace.retry import FakeClock
from tests.conftest import write_files

MODEL = """
    from pathlib import Path

    import pyarrow as pa

    from interlace import model

    {extra}

    @model(materialize="table")
    def source():
        calls = Path({calls!r})
        calls.write_text(str(int(calls.read_text()) + 1 if calls.exists() else 1))
        if Path({down!r}).exists():
            raise ConnectionError("connection refused by db.example:5432")
        return pa.table({{"x": [1]}})
"""


def project(tmp_path: Path, extra: str = "") -> tuple[Path, Path, Path]:
    calls, down = tmp_path / "calls", tmp_path / "down"
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\ncircuit_breaker:\n  failure_threshold: 2\n  cooldown: 30s\n",
        "models/source.py": MODEL.format(calls=str(calls), down=str(down), extra=extra),
    })
    return root, calls, down


def test_the_breaker_opens_half_opens_after_the_cooldown_and_closes_on_success(tmp_path: Path) -> None:
    root, calls, down = project(tmp_path)
    down.touch()
    clock = FakeClock()
    with interlace.open(root) as ws:
        ws.reliability.use_clock(clock)
        assert ws.run("source").status == "failed"
        assert [(b.connection, b.status, b.failures) for b in ws.breakers()] == [("default", "closed", 1)]
        assert ws.run("source", force=True).status == "failed"
        (breaker,) = ws.breakers()
        assert (breaker.status, breaker.failures) == ("open", 2)
        assert "connection refused by db.example:5432" in (breaker.last_error or "")
        assert calls.read_text() == "2"

    with interlace.open(root) as ws:  # the state is in the warehouse: a new process sees it open
        ws.reliability.use_clock(clock)
        result = ws.run("source", force=True)
        error = str(result.results["source"].error)
        assert "circuit breaker of connection 'default' is open after 2 failures in a row" in error
        assert "model 'source' was not run" in error
        assert "half-opens at 2026-01-01T00:00:30+00:00 (circuit_breaker.cooldown)" in error
        assert calls.read_text() == "2"  # not called
        clock.advance(31)
        assert [b.status for b in ws.breakers()] == ["half_open"]
        down.unlink()
        assert ws.run("source", force=True).status == "success"  # the trial
        assert [(b.status, b.failures) for b in ws.breakers()] == [("closed", 0)]


def test_a_failed_trial_reopens_the_breaker_for_another_cooldown(tmp_path: Path) -> None:
    root, calls, down = project(tmp_path)
    down.touch()
    clock = FakeClock()
    with interlace.open(root) as ws:
        ws.reliability.use_clock(clock)
        ws.run("source")
        ws.run("source", force=True)
        clock.advance(31)
        assert ws.run("source", force=True).status == "failed"  # the trial fails
        assert calls.read_text() == "3"
        (breaker,) = ws.breakers()
        assert breaker.status == "open" and breaker.opened_at == clock.now()
        assert "is open" in str(ws.run("source", force=True).results["source"].error)
        assert calls.read_text() == "3"
        assert ws.reliability.breakers.reset("default")
        down.unlink()
        assert ws.run("source", force=True).status == "success"


def test_errors_that_are_not_connection_errors_do_not_trip_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\ncircuit_breaker:\n  failure_threshold: 1\n",
        "models/bad.sql": "SELECT * FROM no_such_table",
    })
    with interlace.open(root) as ws:
        assert ws.run("bad").status == "failed"
        assert ws.run("bad", force=True).status == "failed"
        assert ws.breakers() == []
