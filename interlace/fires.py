"""What one fire of a schedule is while it is in flight, and how it ended (for the scheduler).

:class:`Fire` is what :meth:`Scheduler.tick` reports; :class:`Active` follows a fire that runs
(a model run's handle or a notebook's future); :class:`Pending` is a tick waiting to start again
(``retrying`` after a failed attempt, or ``queued`` behind ``max_concurrency``), kept in state so
a restart picks it up.

Core: imports no face library.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interlace.retry import error_names

if TYPE_CHECKING:
    from interlace.runs import RunHandle
    from interlace.state.scheduling import NotebookRunRecord

__all__ = ["Active", "Fire", "Outcome", "Pending"]


@dataclass(frozen=True, slots=True)
class Fire:
    """What one tick of one schedule did (``status``: running | missed | skipped | queued |
    retrying | failed | paused)."""

    schedule: str
    scheduled_at: datetime
    status: str
    run_id: str | None = None
    error: str | None = None
    attempt: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "scheduled_at": self.scheduled_at.isoformat(),
                "status": self.status, "run_id": self.run_id, "error": self.error, "attempt": self.attempt}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    run_id: str | None
    error: str | None
    names: frozenset[str] = frozenset()  # error classes and codes, for a retry policy's retry_on


@dataclass
class Active:
    scheduled_at: datetime
    attempt: int = 1
    handle: RunHandle | None = None
    future: Future[NotebookRunRecord | Outcome] | None = None  # a notebook, or lake maintenance

    def outcome(self) -> Outcome | None:
        """How the fire ended, once it has."""
        if self.handle is not None:
            return self._run_outcome(self.handle) if self.handle.done else None
        assert self.future is not None
        if not self.future.done():
            return None
        exc = self.future.exception()
        if exc is not None:
            return Outcome("failed", None, str(exc), frozenset(error_names(exc)))
        record = self.future.result()
        if isinstance(record, Outcome):
            return record
        ename = (record.failed_cell or {}).get("ename")
        return Outcome(record.status, record.run_id, record.error,
                       frozenset({record.status, *([ename] if ename else [])}))

    @staticmethod
    def _run_outcome(handle: RunHandle) -> Outcome:
        result, error = handle.result, handle.error
        failed = sorted(n for n, r in result.results.items() if r.status == "failed") if result else []
        names: set[str] = set(error_names(error)) if error else set()
        for name in failed:
            model_error = result.results[name].error if result else None
            if model_error is not None:
                names.update(error_names(model_error))
        first = result.results[failed[0]].error if result and failed else None
        detail = f" ({failed[0]}: {getattr(first, 'message', first)})" if first is not None else ""
        message = str(error) if error else (f"models failed: {', '.join(failed)}{detail}" if failed else None)
        return Outcome(handle.status, handle.run_id, message, frozenset(names))


@dataclass
class Pending:
    scheduled_at: datetime
    attempt: int  # the attempt it starts as
    due: datetime | None = None  # retrying: when; None: queued until a slot frees
    errors: list[str] = field(default_factory=list)

    @property
    def retrying(self) -> bool:
        return self.due is not None
