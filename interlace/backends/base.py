"""What every engine implements, and the DuckDB-style cursor quality checks run through.

A :class:`Backend` holds one connection's tables: it registers moved-in Arrow data as temporary
views, runs queries in its dialect, writes views and tables (each strategy it lists in
``strategies``) and answers for its catalog without starting its session where it can.
"""

from __future__ import annotations

import abc
import contextlib
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from interlace.backends.translate import Untranslatable, translate
from interlace.config import ConnectionConfig

if TYPE_CHECKING:
    import pyarrow as pa

    from interlace.engine.relation import Relation
    from interlace.engine.strategies.base import WriteStats
    from interlace.project.spec import ModelSpec

__all__ = ["Backend", "BackendCursor", "Check"]

Check = Callable[["Relation"], Any]  # runs the model's quality checks on a relation; raises on failure


class Backend(abc.ABC):
    """One engine connection (subclasses: ``SparkBackend``, ``IbisBackend``)."""

    type: ClassVar[str]
    dialect: ClassVar[str]  # sqlglot dialect of its SQL
    strategies: ClassVar[frozenset[str]]  # strategies it writes (others get a clear error)
    merges_by: ClassVar[str] = ""  # how merge_by_key is done, for the docs and errors

    def __init__(self, name: str, conn: ConnectionConfig, *, project_dir: Path, env: str) -> None:
        self.name = name
        self.conn = conn
        self.project_dir = project_dir
        self.env = env

    @property
    def label(self) -> str:
        return f"engine '{self.name}' ({self.type})"

    # -- what subclasses implement ------------------------------------------------------------------
    @abc.abstractmethod
    def ibis(self) -> Any:
        """An ibis backend over this engine (Python models get its tables)."""

    @abc.abstractmethod
    def relations(self) -> dict[tuple[str, str, str], str]:
        """lower-cased (connection, schema, name) -> 'table' or 'view' of what interlace built there."""

    @abc.abstractmethod
    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        """(column, type) of one of its relations; [] when it does not exist."""

    @abc.abstractmethod
    def query(self, sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of ``sql`` (this engine's dialect, ``:name`` parameters)."""

    @abc.abstractmethod
    def to_arrow(self, sql: str) -> pa.Table:
        """The rows of ``sql`` (this engine's dialect) as Arrow."""

    @abc.abstractmethod
    def register(self, name: str, table: pa.Table) -> None:
        """``table`` as a temporary view ``name`` of this engine's session."""

    @abc.abstractmethod
    def unregister(self, name: str) -> None:
        """Drop the temporary view ``name`` (what :meth:`register` made)."""

    @abc.abstractmethod
    def write_view(self, relation: Relation, sql: str) -> None:
        """``CREATE OR REPLACE VIEW`` ``relation`` as ``sql``, recorded in the engine's catalog."""

    @abc.abstractmethod
    def keep(self, schema: str, name: str, view: str) -> str:
        """Temporary view ``view`` written as a table ``schema.name`` of the engine; its SQL name."""

    @abc.abstractmethod
    def write_table(self, relation: Relation, sql: str, spec: ModelSpec, check: Check) -> WriteStats:
        """Write ``sql``'s rows with ``spec``'s strategy; ``check`` runs before they become visible."""

    def exclusive(self) -> contextlib.AbstractContextManager[Any]:
        """Held around one model's build: a connection that one thread at a time may use (an ibis
        backend over one DBAPI connection) returns a lock; a Spark session takes every thread."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    def close(self) -> None:
        """Release what this workspace holds (a process-wide session may stay for the next one)."""

    # -- shared ------------------------------------------------------------------------------------
    def token(self) -> str:
        """A prefix for one build's temporary views (builds run concurrently on one session)."""
        return f"__interlace_in_{uuid.uuid4().hex[:10]}_"


class BackendCursor:
    """The part of a DuckDB cursor ``quality.runner.run_checks`` uses, over an engine.

    Check queries are written in DuckDB SQL; each is translated to the engine's dialect, and the
    DuckDB tables it reads (a ``relationships`` target in the warehouse) are moved in first.
    Engine errors become ``duckdb.Error``, which the runner reports as the check's error.
    """

    def __init__(self, backend: Backend, duck: duckdb.DuckDBPyConnection) -> None:
        self.backend = backend
        self.duck = duck
        self.description: list[tuple[str]] = []
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> BackendCursor:
        from interlace.engine.relation import Relation

        if sql.startswith("DESCRIBE "):
            parts = [p.strip('"').replace('""', '"') for p in sql[len("DESCRIBE "):].split('"."')]
            relation = Relation(parts[-2], parts[-1], catalog=parts[0] if len(parts) > 2 else None)
            columns = self.backend.columns(relation)
            self.description, self._rows = [("column_name",), ("column_type",)], list(columns)
            return self
        try:
            translated = translate(sql, dialect=self.backend.dialect, catalog=self.backend.name,
                                   prefix=self.backend.token())
        except Untranslatable as exc:
            raise duckdb.Error(f"{exc.construct} does not translate to {self.backend.dialect}") from exc
        for item in translated.inputs:
            self.backend.register(item.name, self.duck.execute(item.duckdb_sql).to_arrow_table())
        try:
            names, self._rows = self.backend.query(translated.sql, dict(params or {}))
        except Exception as exc:  # noqa: BLE001 - the engine's error, reported by the runner
            raise duckdb.Error(f"{self.backend.label}: {first_line(exc)}") from exc
        finally:
            for item in translated.inputs:
                self.backend.unregister(item.name)
        self.description = [(n,) for n in names]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


def first_line(exc: BaseException) -> str:
    """An engine exception's message without its JVM stack trace."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("\tat ")]
    return " ".join(lines[:3])[:600]
