"""What a long-lived owner (server, notebook session) compares to see the user's edits.

A signature of the project's source files: model files, functions, ``config*.yaml``. Comparing it
costs one ``stat`` per file; the parse cache makes re-discovering an unchanged file cheap.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["Signature", "SourceWatch", "source_signature"]

Signature = tuple[tuple[str, int, int], ...]  # (relative path, size, mtime_ns)

_SOURCES = (".sql", ".py", ".ipynb")


def source_signature(root: Path, model_paths: list[str]) -> Signature:
    """(path, size, mtime_ns) of every file whose edit can change the project, sorted."""
    out: list[tuple[str, int, int]] = []
    for entry in os.scandir(root):
        if entry.is_file() and entry.name.startswith("config") and entry.name.endswith((".yaml", ".yml")):
            st = entry.stat()
            out.append((entry.name, st.st_size, st.st_mtime_ns))
    for rel in (*model_paths, "functions"):
        base = root / rel
        if base.is_dir():
            _walk(base, root, out)
    return tuple(sorted(out))


def _walk(directory: Path, root: Path, out: list[tuple[str, int, int]]) -> None:
    for entry in os.scandir(directory):
        if entry.name.startswith((".", "_")) or entry.name in ("__pycache__", ".ipynb_checkpoints"):
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(Path(entry.path), root, out)
        elif entry.name.endswith(_SOURCES):
            st = entry.stat()
            out.append((os.path.relpath(entry.path, root), st.st_size, st.st_mtime_ns))


class SourceWatch:
    """Tells a long-lived workspace which kinds of sources changed since it last looked.

    Looks at most once per ``interval`` seconds (a plan reads the project many times); the answer
    names what moved — ``config``, ``functions``, ``models`` — so that only that is read again.
    """

    def __init__(self, root: Path, model_paths: list[str], *, interval: float = 1.0) -> None:
        self.root = root
        self.model_paths = list(model_paths)
        self.interval = interval
        self.signature = source_signature(root, self.model_paths)
        self._checked = time.monotonic()

    def looked(self) -> None:
        """The caller has just read the sources (a discovery): the next look waits ``interval``
        again. An edit made meanwhile still differs from ``signature`` and is seen then."""
        self._checked = time.monotonic()

    def poll(self) -> frozenset[str]:
        """The kinds of sources that changed (empty when nothing did, or it is too soon to look)."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return frozenset()
        self._checked = now
        current = source_signature(self.root, self.model_paths)
        if current == self.signature:
            return frozenset()
        moved = set(current) ^ set(self.signature)
        self.signature = current
        return frozenset(_kind(path) for path, _, _ in moved)


def _kind(path: str) -> str:
    if "/" not in path and path.startswith("config"):
        return "config"
    return "functions" if path.split("/", 1)[0] == "functions" else "models"
