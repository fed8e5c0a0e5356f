"""The project's column lineage as it stood after the last analysis, for instant reads.

``interlace lineage show`` on a built project used to pay for the whole engine (imports, config,
discovery, the warehouse) to print edges it had stored already. After an analysis the CLI writes
the edges to ``.interlace/cache/lineage-<env>.json`` with what they depend on: the signature of
the project's source files (``config*.yaml``, models, functions), the values of the environment
variables the config files name, and the size and mtime of the warehouse file and its WAL. A
read answers from the snapshot only while all of that is unchanged — any edit, build or other
write to the warehouse makes it stale, and the command does the full analysis again (and writes
a fresh snapshot). A missing, unreadable or foreign snapshot is a miss, never an error.

Imports only the standard library and :mod:`interlace.lineage.graph`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from interlace.lineage.graph import LineageGraph
from interlace.project.watch import source_signature

__all__ = ["read_snapshot", "write_snapshot"]

_FORMAT = 1
_VARIABLE = re.compile(r"\$\{(\w+)")


def _path(root: Path, env: str | None) -> Path:
    name = env or os.environ.get("INTERLACE_ENV") or ""
    return root / ".interlace" / "cache" / f"lineage-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.json"


def _stat(path: str | None) -> list[int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _depends_on(root: Path, model_paths: Sequence[str], warehouse: str | None) -> dict[str, Any]:
    from interlace import __version__

    variables: set[str] = set()
    for entry in os.scandir(root):
        if entry.is_file() and entry.name.startswith("config") and entry.name.endswith((".yaml", ".yml")):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                variables.update(_VARIABLE.findall(Path(entry.path).read_text()))
    return {
        "format": _FORMAT, "version": __version__,
        "sources": [list(s) for s in source_signature(root, list(model_paths))],
        "variables": {name: os.environ.get(name) for name in sorted(variables)},
        "warehouse": warehouse, "warehouse_stat": _stat(warehouse),
        "wal_stat": _stat(f"{warehouse}.wal" if warehouse else None),
    }


def write_snapshot(root: Path, env: str | None, *, model_paths: Sequence[str], warehouse: str | None,
                   models: Sequence[str], graph: LineageGraph) -> None:
    """Record ``graph`` as current (call it after the workspace is closed: closing writes)."""
    if warehouse is None:  # an in-memory warehouse: nothing outlives the process
        return
    path = _path(root, env)
    body = {"depends_on": _depends_on(root, model_paths, warehouse), "model_paths": list(model_paths),
            "models": sorted(models), "edges": [list(e) for e in graph.edges]}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(body))
        os.replace(partial, path)


def read_snapshot(root: Path, env: str | None) -> tuple[LineageGraph, frozenset[str]] | None:
    """The stored lineage and model names, or None when the snapshot is missing or stale."""
    try:
        body = json.loads(_path(root, env).read_text())
        recorded = body["depends_on"]
        current = _depends_on(root, body["model_paths"], recorded["warehouse"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if current != recorded:
        return None
    edges = [(m, c, s, sc, k) for m, c, s, sc, k in body["edges"]]
    return LineageGraph(edges), frozenset(body["models"])
