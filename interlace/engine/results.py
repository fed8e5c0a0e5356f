"""What a run did: one :class:`ModelResult` per model, gathered in a :class:`RunResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interlace.errors import ExecutionError, InterlaceError, error_from_dict

__all__ = ["ModelResult", "RunResult"]


@dataclass(frozen=True, slots=True)
class ModelResult:
    model: str
    status: str  # success | failed | skipped | cancelled
    action: str = "build"
    reason: str = ""
    relation: str | None = None
    materialize: str | None = None
    rows: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    duration_ms: float | None = None
    error: InterlaceError | None = None
    skip_reason: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    schema_changed: bool = False
    checks: tuple[Any, ...] = ()  # CheckResult values of the quality checks that ran
    nulled: dict[str, int] = field(default_factory=dict)  # schema_mode='lenient': column -> values made NULL

    @property
    def check_counts(self) -> dict[str, int]:
        """Badges: how many checks passed, failed (warn or error) or could not run."""
        counts = {"pass": 0, "warn": 0, "fail": 0, "error": 0}
        for check in self.checks:
            key = check.status if check.status != "fail" else ("warn" if check.check.severity == "warn" else "fail")
            counts[key] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "status": self.status, "action": self.action, "reason": self.reason,
            "relation": self.relation, "materialize": self.materialize, "rows": self.rows,
            "inserted": self.inserted, "updated": self.updated, "deleted": self.deleted,
            "duration_ms": self.duration_ms, "skip_reason": self.skip_reason,
            "error": self.error.to_dict() if self.error else None,
            "columns": [list(c) for c in self.columns], "schema_changed": self.schema_changed,
            "checks": [c.to_dict() for c in self.checks], "nulled": dict(self.nulled),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelResult:
        """The result of :meth:`to_dict` again (a run forwarded to the warehouse's owner)."""
        from interlace.quality.checks import Check
        from interlace.quality.runner import CheckResult

        checks = tuple(CheckResult(Check(c["type"], c["severity"], name=c["check"]), c["status"],
                                   failing=c["failing"], duration_ms=c["duration_ms"], sql=c["sql"],
                                   samples=tuple(c["samples"]), message=c["message"])
                       for c in data.get("checks") or ())
        error = data.get("error")
        return cls(
            model=data["model"], status=data["status"], action=data["action"],
            reason=data["reason"],
            relation=data["relation"], materialize=data["materialize"], rows=data["rows"],
            inserted=data["inserted"], updated=data["updated"], deleted=data["deleted"],
            duration_ms=data["duration_ms"], skip_reason=data["skip_reason"],
            error=error_from_dict(error) if error else None,
            columns=tuple((c[0], c[1]) for c in data.get("columns") or ()),
            schema_changed=data["schema_changed"], checks=checks,
            nulled=dict(data.get("nulled") or {}),
        )


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    status: str  # success | failed | cancelled
    started_at: datetime
    finished_at: datetime
    results: dict[str, ModelResult] = field(default_factory=dict)
    up_to_date: tuple[str, ...] = ()  # selected models the plan skipped (nothing changed)

    def _count(self, status: str) -> int:
        return sum(1 for r in self.results.values() if r.status == status)

    @property
    def succeeded(self) -> int:
        return self._count("success")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def errors(self) -> list[InterlaceError]:
        return [r.error for r in self.results.values() if r.error is not None]

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def __getitem__(self, model: str) -> ModelResult:
        return self.results[model]

    def raise_for_status(self) -> RunResult:
        """Raise the first model error if the run did not succeed; return self otherwise."""
        if self.ok:
            return self
        errors = self.errors
        if errors:
            raise errors[0]
        raise ExecutionError(f"run {self.run_id} ended with status '{self.status}'")

    def summary(self) -> str:
        parts = [f"{self.succeeded} succeeded", f"{self.failed} failed", f"{self.skipped} skipped"]
        cancelled = self._count("cancelled")
        if cancelled:
            parts.append(f"{cancelled} cancelled")
        if self.up_to_date:
            parts.append(f"{len(self.up_to_date)} up to date")
        return f"Run {self.run_id} {self.status} in {self.duration_s:.2f}s: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "status": self.status, "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(), "duration_s": self.duration_s,
            "succeeded": self.succeeded, "failed": self.failed, "skipped": self.skipped,
            "up_to_date": list(self.up_to_date),
            "models": [r.to_dict() for r in self.results.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """The result of :meth:`to_dict` again (its ``to_dict()`` is the same)."""
        results = {m["model"]: ModelResult.from_dict(m) for m in data.get("models") or ()}
        return cls(run_id=data["run_id"], status=data["status"],
                   started_at=datetime.fromisoformat(data["started_at"]),
                   finished_at=datetime.fromisoformat(data["finished_at"]),
                   results=results, up_to_date=tuple(data.get("up_to_date") or ()))
