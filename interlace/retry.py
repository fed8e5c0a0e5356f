"""Retries: :class:`RetryPolicy` (how often, how long between, on which errors) and the clock.

A policy comes from a model (``@model(retry_policy={...})`` or the SQL header), a schedule
(``schedules.<name>.retry_policy``) or config (``retry_policy:`` for every model,
``scheduler.retry_policy`` for every schedule). The delay before attempt ``n + 1`` is
``min(max_delay, initial_delay * backoff ** (n - 1))``, with "equal jitter" (a random half of it
taken off) when ``jitter`` is on. ``retry_on`` names exception classes (any class of the error, of
its cause or its context) or interlace error codes; empty means every error. A cancelled run is
never retried.

Time goes through a :class:`Clock` (``now()``, ``sleep(seconds, stop)``) so tests drive a fake one.

Core: imports no face library.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["NO_RETRY", "Clock", "FakeClock", "RetryPolicy", "error_names", "policy_of"]

_KEYS = ("max_attempts", "initial_delay", "max_delay", "backoff", "jitter", "retry_on")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failing model or scheduled fire is tried again."""

    max_attempts: int = 3
    initial_delay: float = 1.0  # seconds before the second attempt
    max_delay: float = 300.0  # no delay is longer than this
    backoff: float = 2.0  # each delay is this many times the one before
    jitter: bool = True
    retry_on: tuple[str, ...] = ()  # exception class names or error codes; empty = any error

    def __post_init__(self) -> None:
        problems = [
            "max_attempts must be a whole number of at least 1" if not _whole(self.max_attempts)
            or self.max_attempts < 1 else "",
            "initial_delay must be a number of seconds >= 0" if not _number(self.initial_delay)
            or self.initial_delay < 0 else "",
            "max_delay must be a number of seconds >= initial_delay" if not _number(self.max_delay)
            or self.max_delay < self.initial_delay else "",
            "backoff must be a number >= 1" if not _number(self.backoff) or self.backoff < 1 else "",
            "jitter must be true or false" if not isinstance(self.jitter, bool) else "",
        ]
        problem = next((p for p in problems if p), None)
        if problem:
            raise ValueError(problem)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based) before the next one."""
        base = min(self.max_delay, self.initial_delay * self.backoff ** (attempt - 1))
        return base * (1 - rand() / 2) if self.jitter else base

    def retries(self, error: BaseException, attempt: int) -> bool:
        """Whether failed attempt ``attempt`` with ``error`` is tried again."""
        return attempt < self.max_attempts and self.matches(error)

    def matches(self, error: BaseException) -> bool:
        return not self.retry_on or bool(set(self.retry_on) & set(error_names(error)))

    def to_dict(self) -> dict[str, Any]:
        return {"max_attempts": self.max_attempts, "initial_delay": self.initial_delay,
                "max_delay": self.max_delay, "backoff": self.backoff, "jitter": self.jitter,
                "retry_on": list(self.retry_on)}


NO_RETRY = RetryPolicy(max_attempts=1, initial_delay=0, max_delay=0, jitter=False)


def policy_of(raw: Mapping[str, Any] | RetryPolicy | None) -> RetryPolicy | None:
    """A policy from its mapping (keys as in :class:`RetryPolicy`); ValueError says what is wrong."""
    if raw is None or isinstance(raw, RetryPolicy):
        return raw
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ValueError(f"has unknown key(s) {', '.join(unknown)} (valid: {', '.join(_KEYS)})")
    values = {k: v for k, v in raw.items() if v is not None}
    attempts = values.get("max_attempts")
    if isinstance(attempts, float) and attempts.is_integer():
        values["max_attempts"] = int(attempts)
    if "retry_on" in values:
        on = values["retry_on"]
        values["retry_on"] = (on,) if isinstance(on, str) else tuple(str(x) for x in on)
    return RetryPolicy(**values)


def error_names(error: BaseException) -> Iterator[str]:
    """The class names of ``error``, its cause and its context (all bases), and interlace codes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for cls in type(current).__mro__:
            yield cls.__name__
        code = getattr(current, "code", None)
        if isinstance(code, str):
            yield code
        current = current.__cause__ or current.__context__


class Clock:
    """The real clock. ``sleep`` returns early (True) when ``stop`` is set."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        if stop is None:
            threading.Event().wait(seconds)
            return False
        return stop.wait(seconds)


@dataclass
class FakeClock(Clock):
    """A clock for tests: ``sleep`` returns at once, moving ``now`` on and recording the delay."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)
        return stop is not None and stop.is_set()

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
