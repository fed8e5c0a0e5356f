"""Static views (HTML and text, no JavaScript) for answers that do not change: plans, info, rows.

A :class:`TableView` is a title, a table and notes; IPython shows its ``_repr_html_`` in a notebook
and its ``repr`` in a terminal. No anywidget import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interlace.widgets.render import escape, html_table, text_table

__all__ = ["LinkView", "TableView", "info_view"]


@dataclass(frozen=True, slots=True)
class TableView:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    notes: Sequence[str] = field(default_factory=tuple)
    css: str = "interlace-view"

    def __repr__(self) -> str:
        parts = [self.title]
        if self.columns:
            parts.append(text_table(self.columns, self.rows))
        parts.extend(self.notes)
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>{escape(n)}</p>" for n in self.notes)
        table = html_table(self.columns, self.rows, css=f"{self.css}-table") if self.columns else ""
        return f"<div class='{self.css}'><b>{escape(self.title)}</b>{table}{notes}</div>"


@dataclass(frozen=True, slots=True)
class LinkView:
    """A line of text and a link (``%interlace docs``: the built site's index)."""

    text: str
    href: str
    label: str
    css: str = "interlace-link"

    def __repr__(self) -> str:
        return f"{self.text}: {self.label}"

    def _repr_html_(self) -> str:
        return (f"<p class='{self.css}'>{escape(self.text)}: "
                f"<a href='{escape(self.href)}' target='_blank'>{escape(self.label)}</a></p>")


def info_view(info: Mapping[str, Any]) -> TableView:
    """The workspace's ``info()``: configuration, warehouse, models and the last run."""
    last = info.get("last_run")
    rows = [
        ("project", f"{info['name']} ({info['project_dir']})"),
        ("env", info["env"]),
        ("config", ", ".join(info["config_files"])),
        ("warehouse", info["warehouse"]),
        ("models", f"{info['models']}" + (" (" + ", ".join(f"{n} {k}" for k, n in info["models_by_kind"].items()) + ")"
                                         if info["models_by_kind"] else "")),
        ("last run", f"{last['run_id']} {last['status']} at {last['started_at']:%Y-%m-%d %H:%M:%S}" if last
         else "none yet (%interlace run)"),
    ]
    notes = ["models: " + ", ".join(info["model_names"])] if info["model_names"] else []
    return TableView("interlace", ("", ""), rows, notes, css="interlace-info")
