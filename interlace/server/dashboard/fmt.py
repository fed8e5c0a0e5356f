"""Numbers and durations as people read them in the dashboard (never float noise)."""

from __future__ import annotations

from typing import Any

from interlace.formatting import for_people

__all__ = ["duration", "number"]


def number(value: Any) -> str:
    """A count or measure as people read it: ``1,234``, ``123.57`` (never float noise), ``-`` for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return str(for_people(value))
    return str(value)


def duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:,.0f} ms"
    return f"{ms / 1000:,.2f} s" if ms < 60_000 else f"{int(ms // 60_000)} min {ms % 60_000 / 1000:.0f} s"
