"""What a long-lived owner (server, notebook session) compares to see the user's edits.

A signature of the project's source files: model files, functions, ``config*.yaml``. Comparing it
costs one ``stat`` per file; the parse cache makes re-discovering an unchanged file cheap.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Signature", "source_signature"]

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
