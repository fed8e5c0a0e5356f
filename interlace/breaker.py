"""Circuit breakers, one per connection, kept in state so every process and restart sees them.

``closed``: models writing through the connection run; each failure whose error is one of
``trips_on`` (class names of the error, its cause or context) counts, a success resets the count.
After ``failure_threshold`` failures in a row the breaker is ``open``: the connection's models fail
at once with :class:`~interlace.errors.CircuitOpenError`, without running (and without retries).
Once ``cooldown`` has passed, the next model is let through (``half_open``); its success closes
the breaker, its failure opens it again for another cool-down.

Core: imports no face library.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import duckdb

from interlace.errors import CircuitOpenError
from interlace.retry import Clock, error_names
from interlace.state.reliability import BreakerRecord

if TYPE_CHECKING:
    from interlace.config import BreakerConfig
    from interlace.state.store import StateStore

__all__ = ["BreakerSettings", "CircuitBreakers"]


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    enabled: bool = True
    failure_threshold: int = 5
    cooldown: timedelta = timedelta(seconds=60)
    trips_on: tuple[str, ...] = ("IOException", "HTTPException", "ConnectionException", "OSError",
                                 "TimeoutError")

    @classmethod
    def of(cls, config: BreakerConfig) -> BreakerSettings:
        from interlace.schedules import parse_duration

        return cls(config.enabled, config.failure_threshold, parse_duration(config.cooldown),
                   tuple(config.trips_on))


class CircuitBreakers:
    """The breakers of one warehouse's connections (thread-safe: models build in parallel)."""

    def __init__(self, state: StateStore, settings: BreakerSettings, clock: Clock | None = None) -> None:
        self._state, self.settings, self._clock = state, settings, clock or Clock()
        self._mutex = threading.Lock()
        self._trial: set[str] = set()  # half-open connections whose one trial is running here
        self._open: set[str] = set()  # not closed, as last seen by this process (for /health)
        try:
            self._open = {r.connection for r in state.breakers() if r.status != "closed"}
        except duckdb.Error:  # a read-only warehouse from before the breakers table
            self._open = set()

    def _save(self, record: BreakerRecord) -> None:
        self._state.save_breaker(record)
        (self._open.discard if record.status == "closed" else self._open.add)(record.connection)

    def open_connections(self) -> list[str]:
        """Connections whose breaker is not closed, from memory (no state read, no lock)."""
        return sorted(self._open)

    def before(self, connection: str, model: str) -> None:
        """Raise :class:`CircuitOpenError` when ``model`` may not run through ``connection`` now."""
        if not self.settings.enabled:
            return
        with self._mutex:
            record = self._state.breaker(connection)
            if record is None or record.status == "closed":
                return
            now = self._clock.now()
            reopen = (record.opened_at or now) + self.settings.cooldown
            if now >= reopen and connection not in self._trial:
                self._trial.add(connection)
                self._save(BreakerRecord(connection, "half_open", record.failures,
                                                       record.opened_at, record.last_error, now))
                return
        state = "open" if now < reopen else "half-open, with a trial model running"
        raise CircuitOpenError(
            f"circuit breaker of connection '{connection}' is {state} after {record.failures} failures "
            f"in a row (last: {_short(record.last_error)}); model '{model}' was not run",
            model=model,
            hint=f"it half-opens at {reopen.isoformat()} (circuit_breaker.cooldown); fix the connection, "
                 f"or reset it with `interlace breaker reset {connection}`")

    def end_trial(self, connection: str) -> None:
        """Forget this process's trial of ``connection`` without an outcome (its transaction was
        rolled back and the model is built again, which may start a new trial)."""
        with self._mutex:
            self._trial.discard(connection)

    def success(self, connection: str) -> None:
        if not self.settings.enabled:
            return
        with self._mutex:
            self._trial.discard(connection)
            record = self._state.breaker(connection)
            if record is not None and (record.status != "closed" or record.failures):
                self._save(BreakerRecord(connection, "closed", 0, None, record.last_error,
                                                       self._clock.now()))

    def failure(self, connection: str, error: BaseException) -> bool:
        """Count ``error`` (if it is one that trips); True when this opened the breaker."""
        if not self.settings.enabled or isinstance(error, CircuitOpenError):
            return False
        if not set(self.settings.trips_on) & set(error_names(error)):
            return False
        with self._mutex:
            self._trial.discard(connection)
            record = self._state.breaker(connection)
            now = self._clock.now()
            failures = (record.failures if record else 0) + 1
            opens = (record is not None and record.status == "half_open") or \
                failures >= self.settings.failure_threshold
            was_open = record is not None and record.status == "open"
            self._save(BreakerRecord(
                connection, "open" if opens or was_open else "closed", failures,
                now if opens else (record.opened_at if record else None), _short(str(error), 500), now))
            return opens

    def reset(self, connection: str) -> bool:
        """Close ``connection``'s breaker by hand; False if it had none."""
        with self._mutex:
            self._trial.discard(connection)
            record = self._state.breaker(connection)
            if record is None:
                return False
            self._save(BreakerRecord(connection, "closed", 0, None, record.last_error,
                                                   self._clock.now()))
            return True

    def states(self) -> list[BreakerRecord]:
        """Every breaker; an open one whose cool-down passed is reported ``half_open``."""
        now = self._clock.now()
        out = []
        for record in self._state.breakers():
            if record.status == "open" and record.opened_at and now >= record.opened_at + self.settings.cooldown:
                record = BreakerRecord(record.connection, "half_open", record.failures, record.opened_at,
                                       record.last_error, record.updated_at)
            out.append(record)
        return out


def _short(text: str | None, limit: int = 200) -> str:
    text = (text or "no message").strip().splitlines()[0] if text else "no message"
    return text if len(text) <= limit else text[: limit - 1] + "…"
