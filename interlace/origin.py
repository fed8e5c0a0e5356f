"""``Origin``: where something was declared — a file and line, or a notebook and cell.

Errors carry it typed (``InterlaceError.origin``) and it is rendered in one place, here.
Core: imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Origin", "at_line"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a model (or an error in it) was declared: a file and line, or a notebook and cell."""

    path: str
    line: int | None = None
    cell: int | None = None

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{self.path}, cell {self.cell}" + (f", line {self.line}" if self.line else "")
        return f"{self.path}:{self.line}" if self.line else self.path

    def at(self, line: int | None) -> Origin:
        """The same file or cell, at ``line``."""
        return Origin(self.path, line, self.cell)


def at_line(where: str | Origin, line: int | None) -> Origin:
    """``where`` (a path, or the origin of a cell or file) at ``line``."""
    return where.at(line) if isinstance(where, Origin) else Origin(where, line)
