"""The state store: the ``interlace`` schema inside the project's DuckDB file.

Owns every read and write of state tables (bound parameters only). Imports nothing but duckdb —
and that only when the store is used: ``interlace.state.liveness`` (the owner file) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.state.store import StateStore

__all__ = ["StateStore"]


def __getattr__(name: str) -> Any:
    if name == "StateStore":
        from interlace.state.store import StateStore

        return StateStore
    raise AttributeError(f"module 'interlace.state' has no attribute {name!r}")
