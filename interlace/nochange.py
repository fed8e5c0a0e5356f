"""The no-change fast path of ``interlace run``: answer "nothing to do" without the engine.

A full run whose plan builds nothing (every step ``skip`` or ``inline``) records, after the
workspace is closed, what that answer depended on in ``.interlace/cache/nochange-<env>.json``:
the signature of the project's sources (``config*.yaml``, model files, functions: size, mtime
and a hash of their content), the values of
the environment variables the config names and of every ``INTERLACE_*`` variable, the size and
mtime of the warehouse file, its WAL and every attached DuckDB file (so that a write by another
process — new rows in an upstream table, another run — makes it stale), and the interlace and
Python versions. The next plain ``interlace run`` reads it (standard library only: no DuckDB,
sqlglot or pydantic) and, while all of that is unchanged, prints the same answer at once.

It is only written when nothing could make the same plan non-empty without changing one of those
inputs: never for a project with a model whose decision depends on the clock or on files the
signature does not cover (``cache={'ttl': ...}``, local input files read by ``read_csv`` & co.),
with Python or notebook model files (their code runs at discovery and may read anything), with a
connection that is not a local DuckDB file, or for a warehouse in memory. The caller bypasses it
for any option (``--force``, selectors, ``--json`` ...) and when a live owner holds the warehouse
(forwarding wins). A missing, unreadable, foreign or stale snapshot is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlace.project.watch import source_signature

__all__ = ["NoChange", "Pending", "pending_nochange", "read_nochange", "unsafe_reason", "write_nochange"]

_FORMAT = 1
_VARIABLE = re.compile(r"\$\{(\w+)")


@dataclass(frozen=True, slots=True)
class NoChange:
    """What the last no-change run answered."""

    run_id: str
    up_to_date: int


def _path(root: Path, env: str | None) -> Path:
    name = env or os.environ.get("INTERLACE_ENV") or ""
    return root / ".interlace" / "cache" / f"nochange-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.json"


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _depends_on(root: Path, model_paths: Sequence[str], databases: Sequence[str]) -> dict[str, Any]:
    from interlace import __version__

    variables: set[str] = set()
    for entry in os.scandir(root):
        if entry.is_file() and entry.name.startswith("config") and entry.name.endswith((".yaml", ".yml")):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                variables.update(_VARIABLE.findall(Path(entry.path).read_text()))
    variables.update(name for name in os.environ if name.startswith("INTERLACE_"))
    sources = source_signature(root, list(model_paths))
    content = hashlib.blake2b(digest_size=16)  # an edit within one mtime tick keeping the size
    for rel, _, _ in sources:
        with contextlib.suppress(OSError):
            content.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return {
        "format": _FORMAT, "version": __version__, "python": list(sys.version_info[:2]),
        "sources": [list(s) for s in sources], "content": content.hexdigest(),
        "variables": {name: os.environ.get(name) for name in sorted(variables)},
        "databases": {db: [_stat(db), _stat(f"{db}.wal")] for db in databases},
    }


def unsafe_reason(models: Mapping[str, Any], connections: Mapping[str, tuple[str, str | None]],
                  steps: Sequence[tuple[str, str]]) -> str | None:
    """Why a no-change answer may not be reused (None: it may). ``connections`` is
    {name: (type, database file or None)}, ``steps`` the plan's (model, action)."""
    if any(action not in ("skip", "inline") for _, action in steps):
        return "the plan builds something"
    for name, spec in models.items():
        if spec.kind != "sql":
            return f"model '{name}' is {spec.kind} code, which runs at discovery"
        if (spec.config.cache or {}).get("ttl"):
            return f"model '{name}' has a cache ttl: its decision depends on the clock"
        if spec.file_inputs:
            return f"model '{name}' reads local files"
    for name, (kind, database) in connections.items():
        if kind != "duckdb" or database is None:
            return f"connection '{name}' is not a local DuckDB file"
    return None


@dataclass(frozen=True, slots=True)
class Pending:
    """A no-change answer to record once the workspace is closed."""

    root: Path
    model_paths: tuple[str, ...]
    databases: tuple[str, ...]
    models: int

    def write(self, env: str | None, run_id: str) -> None:
        write_nochange(self.root, env, model_paths=self.model_paths, databases=self.databases,
                       answer=NoChange(run_id, self.models))


def pending_nochange(ws: Any, steps: Sequence[tuple[str, str]]) -> Pending | None:
    """What to record after a run of workspace ``ws`` whose plan had ``steps`` (model, action), or
    None when the answer may not be reused (:func:`unsafe_reason`)."""
    config = ws.loaded.config
    connections = {}
    for name, connection in config.connections.items():
        path = ws.loaded.database_path(ws.root, connection) if connection.type == "duckdb" else None
        connections[name] = (connection.type, None if path is None else str(path))
    models = ws.models
    if unsafe_reason(models, connections, steps) is not None:
        return None
    return Pending(Path(ws.root), tuple(config.models_paths),
                   tuple(sorted({db for _, db in connections.values() if db is not None})), len(models))


def write_nochange(root: Path, env: str | None, *, model_paths: Sequence[str], databases: Sequence[str],
                   answer: NoChange) -> None:
    """Record ``answer`` as current (call it after the workspace is closed: closing writes)."""
    path = _path(root, env)
    body = {"depends_on": _depends_on(root, model_paths, databases), "model_paths": list(model_paths),
            "run_id": answer.run_id, "up_to_date": answer.up_to_date}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(body))
        os.replace(partial, path)


def forget_nochange(root: Path, env: str | None) -> None:
    with contextlib.suppress(OSError):
        _path(root, env).unlink()


def read_nochange(root: Path, env: str | None) -> NoChange | None:
    """The recorded answer while everything it depended on is unchanged, else None."""
    try:
        body = json.loads(_path(root, env).read_text())
        recorded = body["depends_on"]
        current = _depends_on(root, body["model_paths"], list(recorded["databases"]))
        answer = NoChange(str(body["run_id"]), int(body["up_to_date"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if current != recorded or _locked(list(recorded["databases"])):
        return None
    return answer


def _locked(databases: Sequence[str]) -> bool:
    """Whether another process holds a DuckDB file open for writing (a run in progress)."""
    import fcntl

    for db in databases:
        try:
            fd = os.open(db, os.O_RDONLY)
        except OSError:
            return True
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:
            return True
        finally:
            os.close(fd)
    return False
