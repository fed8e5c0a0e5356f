"""Plain renderings shared by the widgets' fallbacks and the static views: escaped HTML tables,
aligned text tables, and values made JSON-safe for the browser. No anywidget import."""

from __future__ import annotations

import datetime as dt
import decimal
import html
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["escape", "html_table", "jsonable", "text_table"]


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def jsonable(value: Any) -> Any:
    """``value`` as something JSON can carry to the browser (dates as ISO text, decimals as floats)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, css: str = "interlace-table") -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in columns], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
