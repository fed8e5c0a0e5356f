"""The errors interlace raises, split by who must act.

    InterlaceError                      root: everything interlace raises on purpose
    ├── ProjectError                    the user's project (code, config) must change
    │   ├── ConfigError                 config.yaml / config.{env}.yaml
    │   ├── ModelDefinitionError        a model's declaration (decorator, SQL header, notebook cell)
    │   │   └── ModelParseError         a SQL header or body that does not parse
    │   ├── UnknownModelError           a name (dependency, selector, CLI argument) that is not a model
    │   ├── UnknownRunError             a run id that no run has
    │   ├── DuplicateModelError         two models with one name
    │   ├── CycleError                  models that depend on each other
    │   ├── FunctionError               a file under functions/ (a UDF or macro) that does not load
    │   ├── InvalidOptionError          a bad command option (--since after --until, ...)
    │   ├── NotebookError               a notebook to run: its path, parameters or kernel
    │   ├── UnknownScheduleError        a schedule name that no schedule has
    │   ├── UnknownDeadLetterError      a dead-letter id that no dead letter has
    │   └── StalePlanError              a plan applied after the project or state changed
    ├── ExecutionError                  building a model failed (wraps the DuckDB / Python error)
    │   ├── SchemaChangeError           the output does not fit the table under the schema mode
    │   ├── CheckFailedError            a quality check of severity error failed (nothing was written)
    │   └── CircuitOpenError            the connection's circuit breaker is open: the model did not run
    ├── StateError                      the state store (incl. a warehouse locked by another process)
    │   ├── WarehouseLockedError
    │   ├── ReadOnlyError               a write asked of an `access: read` environment
    │   ├── KeyExistsError              an active API key already has that name
    │   ├── UnknownKeyError             no active API key has that name
    │   ├── RunInProgressError          a run was asked for while another one is going (policy reject)
    │   └── OwnerError                  the process that holds the warehouse (its owner file, its answers)
    ├── MigrationError                  a file under migrations/, or applying / rolling one back
    └── InternalError                   a bug in interlace: please report it

Every error carries structured fields (``model``, ``origin``, ``hint``, ``sql``) that widgets and the
API render; ``str(error)`` gives the terminal text: what, where, why, and a closing ``Fix:`` line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlace.origin import Origin

__all__ = [
    "CheckFailedError",
    "CircuitOpenError",
    "ConfigError",
    "CycleError",
    "DuplicateModelError",
    "ExecutionError",
    "FunctionError",
    "InterlaceError",
    "InterlaceWarning",
    "InternalError",
    "InvalidOptionError",
    "KeyExistsError",
    "MigrationError",
    "ModelDefinitionError",
    "ModelParseError",
    "NotebookError",
    "OwnerError",
    "ProjectError",
    "RunCancelled",
    "SchemaChangeError",
    "ReadOnlyError",
    "RunInProgressError",
    "StalePlanError",
    "StateError",
    "UnknownKeyError",
    "UnknownModelError",
    "UnknownRunError",
    "UnknownScheduleError",
    "WarehouseLockedError",
    "did_you_mean",
    "error_from_dict",
]


class InterlaceWarning(UserWarning):
    """Something works, but probably not as the user intended."""


class RunCancelled(KeyboardInterrupt):
    """A run was cancelled by an interrupt (Ctrl-C, a kernel interrupt) and rolled back.

    A ``KeyboardInterrupt``, so "run all" stops there; the notebook shows it as one line.
    """


class InterlaceError(Exception):
    """Root of the errors interlace raises on purpose."""

    code = "INTERLACE_ERROR"

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        origin: Origin | str | None = None,
        hint: str | None = None,
        sql: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.model = model
        self.origin = origin
        self.hint = hint
        self.sql = sql
        self.details = details
        self.displayed = False  # already shown to the user (a notebook widget): say it once

    def __str__(self) -> str:
        where = ""
        if self.model and self.origin:
            where = f"model '{self.model}' ({self.origin}): "
        elif self.model:
            where = f"model '{self.model}': "
        elif self.origin:
            where = f"{self.origin}: "
        lines = [where + self.message]
        if self.details:
            lines.append(self.details)
        if self.hint:
            lines.append(f"Fix: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, str | None]:
        """The structured fields, for widgets and API payloads."""
        return {
            "code": self.code,
            "message": self.message,
            "model": self.model,
            "origin": str(self.origin) if self.origin is not None else None,
            "hint": self.hint,
            "sql": self.sql,
            "details": self.details,
        }


class ProjectError(InterlaceError):
    code = "PROJECT_ERROR"


class ConfigError(ProjectError):
    code = "CONFIG_ERROR"


class ModelDefinitionError(ProjectError):
    code = "MODEL_DEFINITION_ERROR"


class ModelParseError(ModelDefinitionError):
    code = "MODEL_PARSE_ERROR"


class UnknownModelError(ProjectError):
    code = "MODEL_NOT_FOUND"


class UnknownRunError(ProjectError):
    code = "RUN_NOT_FOUND"


class DuplicateModelError(ProjectError):
    code = "DUPLICATE_MODEL"


class CycleError(ProjectError):
    code = "CYCLE"


class InvalidOptionError(ProjectError):
    code = "VALIDATION_ERROR"


class NotebookError(ProjectError):
    code = "NOTEBOOK_ERROR"


class UnknownScheduleError(ProjectError):
    code = "SCHEDULE_NOT_FOUND"


class StalePlanError(ProjectError):
    code = "PLAN_STALE"


class FunctionError(ProjectError):
    code = "FUNCTION_ERROR"


class ExecutionError(InterlaceError):
    code = "EXECUTION_ERROR"


class SchemaChangeError(ExecutionError):
    code = "SCHEMA_CHANGE"


class CheckFailedError(ExecutionError):
    code = "CHECK_FAILED"

    def __init__(self, message: str, *, results: list | None = None, **fields: str | None) -> None:
        super().__init__(message, **fields)
        self.results = results or []


class CircuitOpenError(ExecutionError):
    code = "CIRCUIT_OPEN"


class UnknownDeadLetterError(ProjectError):
    code = "DEAD_LETTER_NOT_FOUND"


class StateError(InterlaceError):
    code = "STATE_ERROR"


class WarehouseLockedError(StateError):
    code = "WAREHOUSE_LOCKED"


class ReadOnlyError(StateError):
    code = "READ_ONLY"


class KeyExistsError(StateError):
    code = "KEY_EXISTS"


class UnknownKeyError(StateError):
    code = "KEY_NOT_FOUND"


class RunInProgressError(StateError):
    code = "RUN_IN_PROGRESS"

    def __init__(self, message: str, *, run_id: str, **fields: str | None) -> None:
        super().__init__(message, **fields)
        self.run_id = run_id

    def to_dict(self) -> dict[str, str | None]:
        return {**super().to_dict(), "run_id": self.run_id}


class OwnerError(StateError):
    code = "OWNER_ERROR"


class MigrationError(InterlaceError):
    code = "MIGRATION_ERROR"


class InternalError(InterlaceError):
    code = "INTERNAL_ERROR"


def error_from_dict(data: dict[str, str | None]) -> InterlaceError:
    """The error of :meth:`InterlaceError.to_dict` again (its class found by its code), so that a
    process that received it over the wire raises and prints it as the process that raised it."""
    by_code: dict[str, type[InterlaceError]] = {}
    pending: list[type[InterlaceError]] = [InterlaceError]
    while pending:
        cls = pending.pop()
        by_code.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    code = str(data.get("code") or InterlaceError.code)
    cls = by_code.get(code, InterlaceError)
    fields = {k: data.get(k) for k in ("model", "origin", "hint", "sql", "details")}
    message = str(data.get("message") or "")
    error: InterlaceError
    if cls is RunInProgressError:
        error = RunInProgressError(message, run_id=str(data.get("run_id") or ""), **fields)
    else:
        error = cls.__new__(cls)
        InterlaceError.__init__(error, message, **fields)
        if isinstance(error, CheckFailedError):
            error.results = []
    if cls is InterlaceError and code != InterlaceError.code:
        error.code = code  # an error class this version does not know keeps its code
    return error


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A " Did you mean 'x'?" suffix, or "" when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
