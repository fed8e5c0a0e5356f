"""Run checks as SQL pushed down to DuckDB: one query per check returns the failing rows' count
and up to ten samples. Nothing is pulled into Python but those samples."""

from __future__ import annotations

import datetime as dt
import decimal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from interlace.engine.relation import Relation
from interlace.errors import did_you_mean
from interlace.quality.checks import Check

__all__ = ["SAMPLE_ROWS", "CheckResult", "run_checks"]

SAMPLE_ROWS = 10


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: Check
    status: str  # pass | fail | error
    failing: int = 0
    duration_ms: float = 0.0
    sql: str = ""  # a query that shows the failing rows
    samples: tuple[dict[str, Any], ...] = ()
    message: str = ""

    @property
    def blocking(self) -> bool:
        """A failure (or a check that could not run) of severity ``error``: the model fails."""
        return self.status != "pass" and self.check.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check.name, "type": self.check.type, "severity": self.check.severity,
                "status": self.status, "failing": self.failing, "duration_ms": self.duration_ms,
                "sql": self.sql, "samples": list(self.samples), "message": self.message}


def run_checks(
    cursor: duckdb.DuckDBPyConnection,
    relation: Relation,
    checks: Sequence[Check],
    *,
    resolve: Callable[[str], Relation | None],
) -> list[CheckResult]:
    """Run ``checks`` against ``relation`` (inside the caller's transaction when there is one)."""
    if not checks:
        return []
    columns = [row[0] for row in cursor.execute(f"DESCRIBE {relation.sql}").fetchall()]
    return [_run_one(cursor, relation, check, columns, resolve) for check in checks]


def _run_one(cursor: duckdb.DuckDBPyConnection, relation: Relation, check: Check, columns: list[str],
             resolve: Callable[[str], Relation | None]) -> CheckResult:
    clock = time.perf_counter()
    lowered = {c.lower() for c in columns}
    missing = [c for c in check.columns if c.lower() not in lowered]
    if missing:
        return CheckResult(check, "error", message=(
            f"column '{missing[0]}' does not exist in {relation}.{did_you_mean(missing[0], columns)} "
            f"Its columns: {', '.join(columns)}"))
    try:
        query, params = failing_rows(check, relation, resolve)
    except LookupError as exc:
        return CheckResult(check, "error", message=str(exc))
    shown = render(query, params)
    try:
        rows = cursor.execute(
            f"SELECT *, count(*) OVER () AS __interlace_failing FROM ({query}) LIMIT {SAMPLE_ROWS}", params
        )
        names = [d[0] for d in rows.description or []]
        fetched = rows.fetchall()
    except duckdb.Error as exc:
        return CheckResult(check, "error", duration_ms=_ms(clock), sql=shown,
                           message=f"the check's SQL failed: {exc}")
    failing = int(fetched[0][-1]) if fetched else 0
    samples = tuple({n: _jsonable(v) for n, v in zip(names[:-1], row[:-1], strict=True)} for row in fetched)
    status = "fail" if failing else "pass"
    message = f"{failing} failing row{'s' if failing != 1 else ''}" if failing else ""
    return CheckResult(check, status, failing, _ms(clock), shown, samples, message)


def failing_rows(check: Check, relation: Relation, resolve: Callable[[str], Relation | None]) -> tuple[str, dict[str, Any]]:
    """A query returning the rows that fail ``check``, and its named parameters."""
    return check.failing_rows(relation.sql, resolve)


def render(query: str, params: Mapping[str, Any]) -> str:
    """The query with its parameters written out, to copy and run by hand (display only)."""
    for name, value in params.items():
        query = query.replace(f"${name}", _literal(value))
    return query


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if value is None:
        return "NULL"
    return repr(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _ms(clock: float) -> float:
    return round((time.perf_counter() - clock) * 1000, 3)


