"""Model retries: attempts recorded, backoff on a fake clock, atomic attempts, retry_on, DLQ."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import interlace
from interlace import model
from interlace.errors import ModelDefinitionError
from interlace.retry import FakeClock, RetryPolicy, policy_of
from tests.conftest import write_files

FLAKY = """
    from pathlib import Path

    import pyarrow as pa

    from interlace import model

    COUNTER = Path({counter!r})


    @model(materialize="table", retry_policy={policy})
    def flaky():
        tries = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
        COUNTER.write_text(str(tries))
        if tries < {succeed_at}:
            raise {error}("attempt " + str(tries) + " failed")
        return pa.table({{"x": [tries, tries * 10]}})
"""


def flaky_project(tmp_path: Path, *, policy: str, succeed_at: int, error: str = "ConnectionError",
                  extra: dict[str, str] | None = None) -> Path:
    counter = tmp_path / "counter"
    return write_files(tmp_path / "p", {
        "config.yaml": "name: p\n",
        "models/flaky.py": FLAKY.format(counter=str(counter), policy=policy, succeed_at=succeed_at,
                                        error=error),
        **(extra or {}),
    })


def test_delays_grow_by_backoff_up_to_max_delay_and_jitter_takes_at_most_half() -> None:
    policy = RetryPolicy(max_attempts=6, initial_delay=1, max_delay=5, backoff=2, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    jittered = RetryPolicy(initial_delay=4, backoff=2, jitter=True)
    assert jittered.delay(2, rand=lambda: 0.0) == 8
    assert jittered.delay(2, rand=lambda: 1.0) == 4
    assert RetryPolicy(retry_on=("OSError",)).matches(ConnectionError("x"))  # a base class counts
    assert not RetryPolicy(retry_on=("KeyError",)).matches(ConnectionError("x"))


@pytest.mark.parametrize(("raw", "message"), [
    ({"max_attempts": 0}, "max_attempts must be a whole number of at least 1"),
    ({"initial_delay": 10, "max_delay": 1}, "max_delay must be a number of seconds >= initial_delay"),
    ({"backoff": 0.5}, "backoff must be a number >= 1"),
    ({"tries": 3}, "has unknown key(s) tries (valid: max_attempts, initial_delay"),
])
def test_bad_policies_say_what_is_wrong(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        policy_of(raw)
    assert message in str(info.value)


def test_a_bad_model_retry_policy_is_an_error_where_the_model_is_declared() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        @model(retry_policy={"max_attempts": 0})
        def m():
            return None
    text = str(info.value)
    assert "keyword 'retry_policy' is invalid: max_attempts must be a whole number of at least 1" in text
    assert "test_retry.py" in text


def test_a_flaky_model_is_retried_with_backoff_and_every_attempt_is_recorded(tmp_path: Path) -> None:
    root = flaky_project(tmp_path, succeed_at=3, policy='{"max_attempts": 4, "initial_delay": 2, '
                                                         '"backoff": 3, "jitter": False}')
    clock = FakeClock()
    with interlace.open(root) as ws:
        ws.reliability.use_clock(clock)
        events = []
        ws.events.subscribe(lambda e: events.append(e) if e.type == "model.retrying" else None)
        result = ws.run("flaky")
        assert result.status == "success"
        assert clock.slept == [2, 6]
        rows = sorted(ws.model_runs(run_id=result.run_id), key=lambda r: r.attempt or 0)
        assert [(r.attempt, r.status) for r in rows] == [(1, "retried"), (2, "retried"), (3, "success")]
        assert "attempt 1 failed" in (rows[0].error or "")
        assert [(e.attempt, e.delay_s) for e in events] == [(1, 2), (2, 6)]
        assert ws.sql("SELECT x FROM flaky ORDER BY x").fetchall() == [(3,), (30,)]
        assert ws.dlq.list() == []


@dataclass
class PeekingClock(FakeClock):
    """Reads the table while the run waits between attempts (the failed attempt rolled back)."""

    peek: object = None
    seen: list[object] = field(default_factory=list)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.seen.append(self.peek())  # type: ignore[operator]
        return super().sleep(seconds, stop)


def test_a_failed_attempt_leaves_the_previous_table_whole(tmp_path: Path) -> None:
    """The failing attempt writes its rows, then a blocking check fails inside the transaction."""
    counter = tmp_path / "counter"
    root = write_files(tmp_path / "p", {"config.yaml": "name: p\n", "models/m.py": f"""
        from pathlib import Path

        import pyarrow as pa

        from interlace import model


        @model(materialize="table", quality_checks=[{{"not_null": "x"}}],
               retry_policy={{"max_attempts": 2, "initial_delay": 1, "jitter": False}})
        def m():
            tries = int(Path({str(counter)!r}).read_text()) + 1 if Path({str(counter)!r}).exists() else 1
            Path({str(counter)!r}).write_text(str(tries))
            return pa.table({{"x": [1, 2] if tries != 2 else [7, None]}})
    """})
    with interlace.open(root) as ws:
        assert ws.run("m").status == "success"  # attempt 1 of run 1: x = 1, 2
        clock = PeekingClock()
        clock.peek = lambda: ws.engine.connection.cursor().execute("SELECT x FROM m ORDER BY x").fetchall()
        ws.reliability.use_clock(clock)
        result = ws.run("m", force=True)  # try 2 writes 7, NULL and fails its check; try 3 writes 1, 2
        assert result.status == "success"
        assert clock.seen == [[(1,), (2,)]]
        statuses = sorted((r.attempt, r.status) for r in ws.model_runs(run_id=result.run_id))
        assert statuses == [(1, "retried"), (2, "success")]


def test_retry_on_limits_the_errors_retried_and_exhausted_retries_go_to_the_dlq(tmp_path: Path) -> None:
    root = flaky_project(tmp_path, succeed_at=99, error="KeyError",
                         policy='{"max_attempts": 3, "retry_on": ["ConnectionError"]}')
    with interlace.open(root) as ws:
        ws.reliability.use_clock(FakeClock())
        result = ws.run("flaky")
        assert result.status == "failed"
        assert [(r.attempt, r.status) for r in ws.model_runs(run_id=result.run_id)] == [(1, "failed")]
        (letter,) = ws.dlq.list()
        assert (letter.kind, letter.model, letter.attempts, letter.status) == ("model", "flaky", 1, "open")
        assert "attempt 1 failed" in (letter.error or "")


def test_config_retry_policy_is_the_default_for_models_without_their_own(tmp_path: Path) -> None:
    root = flaky_project(tmp_path, succeed_at=3, policy="None", extra={
        "config.yaml": "name: p\nretry_policy:\n  max_attempts: 2\n  initial_delay: 5\n  jitter: false\n"})
    clock = FakeClock()
    with interlace.open(root) as ws:
        ws.reliability.use_clock(clock)
        result = ws.run("flaky")
        assert result.status == "failed"
        assert clock.slept == [5]
        assert sorted((r.attempt, r.status) for r in ws.model_runs(run_id=result.run_id)) == [
            (1, "retried"), (2, "failed")]
        (letter,) = ws.dlq.list()
        assert letter.attempts == 2
