"""A project's health over recent days: runs per day, failure rate, slowest models.

:func:`health` folds the state store's aggregates into a :class:`Health` value that the
dashboard's health panel (and anyone else) renders. Core: imports no face library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.state.store import StateStore

__all__ = ["DayCount", "Health", "SlowModel", "health"]


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    runs: int
    failed: int


@dataclass(frozen=True, slots=True)
class SlowModel:
    model: str
    builds: int
    mean_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class Health:
    """Finished runs of the last ``days`` UTC days (every day present, zeros included), and the
    models whose successful builds took longest on average."""

    days: int
    per_day: tuple[DayCount, ...]
    slowest: tuple[SlowModel, ...]

    @property
    def runs(self) -> int:
        return sum(d.runs for d in self.per_day)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.per_day)

    @property
    def failure_rate(self) -> float | None:
        """Failed (or interrupted) runs / finished runs; None without any run."""
        return self.failed / self.runs if self.runs else None

    def to_dict(self) -> dict[str, Any]:
        return {"days": self.days, "runs": self.runs, "failed": self.failed, "failure_rate": self.failure_rate,
                "per_day": [{"day": d.day.isoformat(), "runs": d.runs, "failed": d.failed} for d in self.per_day],
                "slowest": [{"model": m.model, "builds": m.builds, "mean_ms": m.mean_ms, "max_ms": m.max_ms}
                            for m in self.slowest]}


def health(state: StateStore, *, days: int = 14, slowest: int = 5, now: datetime | None = None) -> Health:
    """The :class:`Health` of the ``days`` days up to ``now`` (default: the current time)."""
    if days < 1:
        raise ValueError(f"days must be at least 1 (got {days})")
    now = (now or datetime.now(UTC)).astimezone(UTC)  # days are UTC days, as the state store counts them
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    counted = {day: (runs, failed) for day, runs, failed in state.runs_by_day(since)}
    per_day = tuple(DayCount(first + timedelta(days=i), *counted.get(first + timedelta(days=i), (0, 0)))
                    for i in range(days))
    slow = tuple(SlowModel(*row) for row in state.slowest_models(since, slowest))
    return Health(days, per_day, slow)
