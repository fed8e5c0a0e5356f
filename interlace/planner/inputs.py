"""The local files a source model reads, as the planner compares them between builds."""

from __future__ import annotations

from pathlib import Path

from interlace.project.spec import ModelSpec

__all__ = ["FileStat", "file_stats"]

FileStat = tuple[str, int, int]  # (path relative to the project, size, mtime_ns); -1, -1 when missing


def file_stats(root: Path, spec: ModelSpec) -> tuple[FileStat, ...] | None:
    """(path, size, mtime_ns) of the local files ``spec`` reads, globs expanded, sorted.

    None when what the model reads is unknown (external data); () when it reads no files.
    """
    if not spec.file_inputs:
        return None if spec.file_inputs is None else ()
    stats: list[FileStat] = []
    for pattern in spec.file_inputs:
        matches = sorted(root.glob(pattern)) if any(c in pattern for c in "*?[") else [root / pattern]
        for path in matches:
            try:
                st = path.stat()
            except OSError:
                stats.append((pattern, -1, -1))
                continue
            shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            stats.append((shown, st.st_size, st.st_mtime_ns))
    return tuple(sorted(stats))
