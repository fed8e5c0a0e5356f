"""Engines by name: connections of ``type: pyspark`` or ``type: ibis`` run models themselves.

The workspace's DuckDB file keeps the state (run records, catalogue, schema history) for every
engine; an engine holds only the models' tables. :data:`BACKENDS` maps a connection type to the
class that implements it (``interlace.backends.spark``, ``interlace.backends.ibis_backend``),
imported when a model first runs there: ``import interlace`` never imports pyspark.

A model runs on an engine with ``connection=`` (or ``engine=``) or, for a whole project, with the
config key ``engine:`` (an ``--env`` overlay such as ``config.spark.yaml`` can set it).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.config import ENGINE_TYPES, LoadedConfig

if TYPE_CHECKING:
    from interlace.backends.base import Backend
    from interlace.engine.relation import Relation

__all__ = ["BACKENDS", "Backends"]

# connection type -> "module:class" of its Backend
BACKENDS: dict[str, str] = {
    "pyspark": "interlace.backends.spark:SparkBackend",
    "ibis": "interlace.backends.ibis_backend:IbisBackend",
}


class Backends:
    """The engine connections of one workspace, each opened on first use."""

    def __init__(self, loaded: LoadedConfig, project_dir: Path) -> None:
        self.loaded = loaded
        self.project_dir = project_dir
        config = loaded.config
        self.configs = {n: c for n, c in config.connections.items() if c.type in ENGINE_TYPES}
        self._open: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def __contains__(self, name: object) -> bool:
        return name in self.configs

    def __bool__(self) -> bool:
        return bool(self.configs)

    def get(self, name: str) -> Backend:
        """The engine of connection ``name`` (created on first use; sessions start lazily)."""
        with self._lock:
            backend = self._open.get(name)
            if backend is None:
                conn = self.configs[name]
                module, _, attr = BACKENDS[conn.type].partition(":")
                cls = getattr(importlib.import_module(module), attr)
                backend = self._open[name] = cls(name, conn, project_dir=self.project_dir,
                                                 env=self.loaded.env)
            return backend

    def relations(self) -> dict[tuple[str, str, str], str]:
        """The tables and views every engine holds, keyed as ``Engine.relations``."""
        out: dict[tuple[str, str, str], str] = {}
        for name in self.configs:
            out.update(self.get(name).relations())
        return out

    def columns_of(self, relations: list[Relation]) -> Mapping[Relation, list[tuple[str, str]]]:
        return {r: self.get(r.catalog).columns(r) for r in relations if r.catalog in self.configs}

    def describe(self) -> dict[str, str]:
        """connection name -> its type (and backend) for ``interlace info``."""
        return {n: c.type if c.type != "ibis" else f"ibis/{c.backend}" for n, c in self.configs.items()}

    def close(self) -> None:
        with self._lock:
            opened, self._open = self._open, {}
        for backend in opened.values():
            backend.close()

    def any_open(self) -> Any:
        return bool(self._open)
