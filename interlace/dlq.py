"""The dead-letter queue: failures that exhausted their retries, kept until handled.

Entries are written by the scheduler (a fire that failed after its schedule's retries) and by the
engine (a model with a ``retry_policy`` that failed every attempt outside a schedule). Each can be
retried (run again now: a success resolves it, a failure counts one more attempt) or resolved by
hand with a note. ``interlace dlq``, the API and the dashboard all go through :class:`DeadLetters`.

Core: imports no face library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlace.errors import InvalidOptionError, UnknownDeadLetterError
from interlace.options import RunOptions
from interlace.schedules import ScheduleDef

if TYPE_CHECKING:
    from interlace.state.reliability import DeadLetterRecord
    from interlace.state.scheduling import NotebookRunRecord
    from interlace.workspace import Workspace

__all__ = ["DeadLetters", "RetryOutcome"]

STATUSES = ("open", "resolved")
NotebookRunner = Callable[["Workspace", ScheduleDef, str], "NotebookRunRecord"]


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    letter: DeadLetterRecord
    run_id: str
    status: str
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"dead_letter": self.letter.to_dict(), "run_id": self.run_id, "status": self.status,
                "error": self.error}


class DeadLetters:
    """The dead letters of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def list(self, status: str | None = "open", *, limit: int = 100) -> list[DeadLetterRecord]:
        """Entries, newest first (``status``: open, resolved, or None for both)."""
        if status is not None and status not in STATUSES:
            raise InvalidOptionError(f"unknown dead-letter status '{status}'",
                                     hint=f"use one of: {', '.join(STATUSES)} (or all)")
        return self._ws.state.dead_letters(status=status, limit=limit)

    def get(self, letter_id: int | str) -> DeadLetterRecord:
        number = _number(letter_id)
        record = self._ws.state.dead_letter(number)
        if record is None:
            known = [str(r.id) for r in self._ws.state.dead_letters(status="open", limit=10)]
            raise UnknownDeadLetterError(
                f"no dead letter with id {letter_id}; open ones: {', '.join(known) or 'none'}",
                hint="`interlace dlq list --status all` shows every entry")
        return record

    def resolve(self, letter_id: int | str, note: str | None = None) -> DeadLetterRecord:
        """Mark the entry handled (``note`` says how)."""
        record = self.get(letter_id)
        if record.status == "resolved":
            raise InvalidOptionError(f"dead letter {record.id} is resolved already ({record.resolution})",
                                     hint="`interlace dlq list` shows the open ones")
        self._ws.state.resolve_dead_letter(record.id, resolution=note or "resolved by hand",
                                           now=self._ws.reliability.clock.now())
        return self.get(record.id)

    def retry(self, letter_id: int | str, *, notebook_runner: NotebookRunner | None = None) -> RetryOutcome:
        """Run the entry's work again now, on this thread; a success resolves it."""
        record = self.get(letter_id)
        if record.status == "resolved":
            raise InvalidOptionError(f"dead letter {record.id} is resolved already ({record.resolution})",
                                     hint="only open entries are retried")
        payload = record.payload or {}
        trigger = f"dlq:{record.id}"
        if payload.get("notebook"):
            if notebook_runner is None:
                raise InvalidOptionError(
                    f"dead letter {record.id} is a notebook schedule: this face cannot run notebooks",
                    hint="install interlace[runner] and retry it with `interlace dlq retry`")
            definition = self._notebook_definition(record, payload)
            nb = notebook_runner(self._ws, definition, trigger)
            run_id, status, error = nb.run_id, nb.status, nb.error
        elif payload.get("lake") is not None:
            from interlace.maintenance import LakeTask, run_lake_task

            now = self._ws.reliability.clock.now()
            outcome = run_lake_task(self._ws, LakeTask.from_dict(payload["lake"]), now)
            run_id, status, error = f"lake@{now.isoformat()}", outcome.status, outcome.error
        else:
            plan = self._ws.plan(RunOptions(select=tuple(payload.get("select") or ()), force=True))
            result = self._ws.runs.run(plan, trigger=trigger)
            failed = sorted(n for n, r in result.results.items() if r.status == "failed")
            run_id, status = result.run_id, result.status
            error = next((str(r.error) for r in result.results.values() if r.error), None) if failed else None
        return self.conclude(record.id, run_id=run_id, status=status, error=error)

    def start_retry(self, letter_id: int | str, call: Callable[[Callable[[Workspace], Any]], Any]) -> str:
        """Retry a model or models entry in the background (the API); returns the run id. The
        entry is updated when the run ends, through ``call`` (the server's lock)."""
        record = self.get(letter_id)
        payload = record.payload or {}
        if record.status == "resolved" or payload.get("notebook") or payload.get("lake") is not None:
            what = "a notebook" if payload.get("notebook") else "a lake maintenance"
            raise InvalidOptionError(
                f"dead letter {record.id} " + ("is resolved already" if record.status == "resolved"
                                               else f"is {what} schedule: retry it with `interlace dlq retry`"),
                hint="only open model entries are retried from the API")
        plan = self._ws.plan(RunOptions(select=tuple(payload.get("select") or ()), force=True))
        handle = self._ws.runs.start(plan, trigger=f"dlq:{record.id}")

        def follow() -> None:
            result = handle._done.wait() and handle.result
            error = str(handle.error) if handle.error else next(
                (str(r.error) for r in result.results.values() if r.error), None) if result else None
            call(lambda ws: ws.dlq.conclude(record.id, run_id=handle.run_id, status=handle.status, error=error))

        threading.Thread(target=follow, name=f"interlace-dlq-{record.id}", daemon=True).start()
        return handle.run_id

    def conclude(self, letter_id: int, *, run_id: str, status: str, error: str | None) -> RetryOutcome:
        """Record a retry's outcome: a success resolves the entry, a failure counts an attempt."""
        now = self._ws.reliability.clock.now()
        if status == "success":
            self._ws.state.retried_dead_letter(letter_id, run_id=run_id, error=None)
            self._ws.state.resolve_dead_letter(letter_id, resolution=f"retried: run {run_id} succeeded", now=now)
        else:
            self._ws.state.retried_dead_letter(letter_id, run_id=run_id, error=error or status)
        return RetryOutcome(self.get(letter_id), run_id, status, error)

    def _notebook_definition(self, record: DeadLetterRecord, payload: dict[str, Any]) -> ScheduleDef:
        current = self._ws.schedules(errors={}).get(record.schedule or "")
        if current is not None and current.kind == "notebook":
            return current
        from interlace.schedules import Timing

        return ScheduleDef(record.schedule or f"dlq:{record.id}", "notebook", Timing(every=None, cron="* * * * *"),
                           notebook=payload["notebook"], parameters=dict(payload.get("parameters") or {}),
                           timeout=payload.get("timeout"))


def _number(letter_id: int | str) -> int:
    try:
        return int(letter_id)
    except (TypeError, ValueError):
        raise UnknownDeadLetterError(f"'{letter_id}' is not a dead-letter id (ids are numbers)",
                                     hint="`interlace dlq list` shows the ids") from None
