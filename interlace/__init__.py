"""interlace: Jupyter-native data pipelines on DuckDB.

>>> import interlace
>>> @interlace.model(materialize="view")
... def recent(orders):
...     return orders.limit(10)

Importing this package is cheap: the engine (duckdb, ibis, sqlglot) loads when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlace.errors import (
    ConfigError,
    CycleError,
    ExecutionError,
    InterlaceError,
    ModelDefinitionError,
    ProjectError,
    StateError,
    UnknownModelError,
)
from interlace.project.decorators import model

if TYPE_CHECKING:
    from interlace.options import RunOptions
    from interlace.workspace import Workspace, open

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "CycleError",
    "ExecutionError",
    "InterlaceError",
    "ModelDefinitionError",
    "ProjectError",
    "RunOptions",
    "StateError",
    "UnknownModelError",
    "Workspace",
    "model",
    "open",
]


def __getattr__(name: str) -> Any:
    if name in ("open", "Workspace"):
        from interlace import workspace

        return getattr(workspace, name)
    if name == "RunOptions":
        from interlace.options import RunOptions

        return RunOptions
    raise AttributeError(f"module 'interlace' has no attribute {name!r}")
