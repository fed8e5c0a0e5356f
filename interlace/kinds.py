"""What each materialization and strategy *is*: one table of traits that every layer reads.

The validator (``project/spec.py``), the planner, the engine, the catalogue and the faces ask
these tables — never ``spec.materialize in (...)``. Adding a strategy is a module with its write
function plus one :func:`register_strategy` call (the built-in ones are registered below, with the
write function named lazily so that this module imports nothing heavy).

    >>> from interlace.kinds import strategy_of
    >>> strategy_of("merge_by_key").needs_key
    True

Core: imports nothing but the standard library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from interlace.project.spec import ModelConfig, ModelSpec

__all__ = [
    "MATERIALIZATIONS",
    "STRATEGIES",
    "Materialization",
    "Strategy",
    "is_checkable",
    "is_in_memory",
    "is_inlined",
    "is_persisted",
    "materialization_of",
    "register_strategy",
    "strategy_of",
    "unregister_strategy",
]


class _Spec(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def materialize(self) -> str: ...
    @property
    def strategy(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Materialization:
    """How a model's result exists between runs."""

    name: str
    persisted: bool  # leaves a table or view in the warehouse
    takes_strategy: bool  # written by a strategy (only tables)
    sql_inlined: bool = False  # a SQL model of this kind is inlined into the SQL of its readers
    always_runs: bool = False  # runs whenever it is selected (side effects)
    groups: bool = False  # a SQL model of this kind may share one transaction with others (engine.groups)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Strategy:
    """How a table model's rows are written, and what that implies for the rest of the system."""

    name: str
    write: Callable[[Any], Any] | str  # WriteRequest -> WriteStats, or "module:function" (loaded on use)
    writes: bool = True  # False: the model writes nothing itself (strategy 'none')
    needs_key: bool = False  # needs primary_key=
    takes_cursor: bool = False  # may be incremental (cursor=): its table keeps earlier rows
    keeps_history: bool = False  # its table accumulates rows: schema modes evolve it, never replace it
    system_columns: Callable[[ModelConfig], tuple[str, ...]] = field(default=lambda config: ())
    groups: bool = False  # its write is one self-contained statement: may share a transaction (engine.groups)
    description: str = ""

    def writer(self) -> Callable[[Any], Any]:
        """The write function (imported on first use when registered by name)."""
        if callable(self.write):
            return self.write
        module, _, attr = self.write.partition(":")
        writer: Callable[[Any], Any] = getattr(importlib.import_module(module), attr)
        return writer


MATERIALIZATIONS: dict[str, Materialization] = {
    m.name: m for m in (
        Materialization("table", persisted=True, takes_strategy=True, groups=True,
                        description="a table written by the model's strategy"),
        Materialization("view", persisted=True, takes_strategy=False, groups=True,
                        description="CREATE OR REPLACE VIEW, recreated when its definition changes"),
        Materialization("ephemeral", persisted=False, takes_strategy=False, sql_inlined=True,
                        description="never persisted: inlined into SQL readers, in memory for Python readers"),
        Materialization("none", persisted=False, takes_strategy=False, always_runs=True,
                        description="side effects only; a result is handed to readers in the same run"),
    )
}

_STRATEGIES = "interlace.engine.strategies"


def _scd2_columns(config: ModelConfig) -> tuple[str, ...]:
    return ("valid_from", "valid_to", "is_current", "_scd2_hash")


def _merge_columns(config: ModelConfig) -> tuple[str, ...]:
    return ("_deleted_at",) if config.delete_mode == "soft" else ()


STRATEGIES: dict[str, Strategy] = {}


def register_strategy(strategy: Strategy) -> Strategy:
    """Make ``strategy`` available to ``strategy=`` everywhere (validation, planning, building)."""
    STRATEGIES[strategy.name] = strategy
    return strategy


def unregister_strategy(name: str) -> None:
    """Forget a strategy registered with :func:`register_strategy` (tests, plugins)."""
    STRATEGIES.pop(name, None)


for _builtin in (
    Strategy("replace", f"{_STRATEGIES}.replace:replace", groups=True,
             description="build the new table, swap it in atomically"),
    Strategy("append", f"{_STRATEGIES}.append:append", takes_cursor=True, keeps_history=True,
             description="insert the new rows"),
    Strategy("merge_by_key", f"{_STRATEGIES}.merge_by_key:merge_by_key", needs_key=True, takes_cursor=True,
             keeps_history=True, system_columns=_merge_columns, description="upsert on primary_key"),
    Strategy("scd_type_2", f"{_STRATEGIES}.scd_type_2:scd_type_2", needs_key=True, takes_cursor=True,
             keeps_history=True, system_columns=_scd2_columns, description="a history table of versions"),
    Strategy("none", f"{_STRATEGIES}.none:none", writes=False, description="the model writes nothing itself"),
):
    register_strategy(_builtin)


def materialization_of(spec_or_name: _Spec | str) -> Materialization:
    name = spec_or_name if isinstance(spec_or_name, str) else spec_or_name.materialize
    return MATERIALIZATIONS[name]


def strategy_of(spec_or_name: _Spec | str) -> Strategy:
    name = spec_or_name if isinstance(spec_or_name, str) else spec_or_name.strategy
    return STRATEGIES[name]


def is_persisted(spec: _Spec) -> bool:
    """Building ``spec`` leaves a table or view in the warehouse."""
    return materialization_of(spec).persisted and strategy_of(spec).writes


def is_inlined(spec: _Spec) -> bool:
    """A model never executed on its own: inlined into the SQL of its readers (SQL ephemeral)."""
    return materialization_of(spec).sql_inlined and spec.kind == "sql"


def is_in_memory(spec: _Spec) -> bool:
    """A model whose result only lives during a run (Python ephemeral, or materialize='none')."""
    m = materialization_of(spec)
    return m.always_runs or (m.sql_inlined and spec.kind != "sql")


def is_checkable(spec: _Spec) -> bool:
    """Quality checks can run on it: it has a table or view after a build."""
    return materialization_of(spec).persisted


def system_columns(spec: ModelSpec) -> frozenset[str]:
    """Columns the strategy adds to the table (hidden from schema comparisons), lower-cased."""
    return frozenset(c.lower() for c in strategy_of(spec).system_columns(spec.config))
