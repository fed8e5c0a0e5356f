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
    FunctionError,
    InterlaceError,
    MigrationError,
    ModelDefinitionError,
    ProjectError,
    StateError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from interlace.functions.discovery import udf
    from interlace.options import RunOptions
    from interlace.project.decorators import model
    from interlace.workspace import Workspace, open

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "CycleError",
    "ExecutionError",
    "FunctionError",
    "InterlaceError",
    "MigrationError",
    "ModelDefinitionError",
    "ProjectError",
    "RunOptions",
    "StateError",
    "UnknownModelError",
    "Workspace",
    "load_ipython_extension",
    "model",
    "open",
    "stream",
    "table",
    "udf",
    "unload_ipython_extension",
]


def table(name: str) -> Any:
    """A model's table as an ibis table, from the notebook session's workspace (``%load_ext interlace``).

    Outside a notebook, open the workspace yourself: ``interlace.open(path).table(name)``.
    """
    from interlace.magics.session import current_session

    return current_session().workspace.table(name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext interlace``: register the magics (the IPython glue is imported only now)."""
    from interlace.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from interlace.magics import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    # Loaded on first use, so `import interlace` (and every CLI command) stays cheap.
    if name == "model":
        from interlace.project.decorators import model

        return model
    if name == "udf":
        from interlace.functions.discovery import udf

        return udf
    if name in ("open", "Workspace"):
        from interlace import workspace

        return getattr(workspace, name)
    if name == "stream":
        from interlace.streams.spec import stream

        return stream
    if name == "RunOptions":
        from interlace.options import RunOptions

        return RunOptions
    raise AttributeError(f"module 'interlace' has no attribute {name!r}")
