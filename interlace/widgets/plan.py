"""``PlanView``: what a run would do, and why — one row per model with its action and reason and,
with ``plan --diff``, how its columns would change and which changes break a downstream model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import traitlets

from interlace.widgets.base import STATIC, FallbackWidget, escape, html_table, jsonable, text_table

__all__ = ["PlanView", "describe_change"]


def describe_change(change: Mapping[str, Any]) -> str:
    """``+c INTEGER``, ``-b INTEGER``, ``~a INTEGER → VARCHAR`` (retyped, widened, narrowed)."""
    kind, column = change.get("kind"), change.get("column")
    if kind == "added":
        return f"+{column} {change.get('new_type') or ''}".rstrip()
    if kind == "removed":
        return f"-{column} {change.get('old_type') or ''}".rstrip()
    return f"~{column} {change.get('old_type')} → {change.get('new_type')} ({kind})"


class PlanView(FallbackWidget):
    """A plan (``Plan.to_dict()``) and, optionally, its schema previews (``{model: SchemaPreview.to_dict()}``).

    >>> from interlace.widgets.plan import PlanView
    >>> v = PlanView.of({"steps": [{"model": "a", "action": "build", "reason": "forced (--force)"}]})
    >>> v.title()
    'Plan: 1 of 1 model to build'
    """

    _esm = STATIC / "plan.js"
    _css = STATIC / "plan.css"

    steps = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{model, action, reason, upstream}]
    previews = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)  # None unless --diff

    @classmethod
    def of(cls, plan: Mapping[str, Any], previews: Mapping[str, Mapping[str, Any]] | None = None) -> PlanView:
        return cls(steps=jsonable(list(plan.get("steps", []))),
                   previews=None if previews is None else jsonable({k: dict(v) for k, v in previews.items()}))

    def breaking(self) -> list[tuple[str, str, str, list[str]]]:
        """(model, column, kind, read by) of every change that breaks a downstream model."""
        return [(model, b["column"], b["kind"], list(b["read_by"]))
                for model, p in (self.previews or {}).items() for b in p.get("breaking", [])]

    # -- fallbacks -------------------------------------------------------------------------------
    def title(self) -> str:
        if not self.steps:
            return "Plan: the selection matched no models"
        n = len(self.steps)
        builds = sum(1 for s in self.steps if s["action"] == "build")
        title = f"Plan: {builds} of {n} model{'s' if n != 1 else ''} to build"
        if self.breaking():
            title += f" · {len(self.breaking())} BREAKING"
        return title

    def schema_cell(self, model: str) -> str:
        preview = (self.previews or {}).get(model)
        if not preview:
            return ""
        parts = [describe_change(c) for c in preview.get("changes", [])]
        parts += [f"BREAKING {b['column']} ({b['kind']}) read by {', '.join(b['read_by'])}"
                  for b in preview.get("breaking", [])]
        if preview.get("note"):
            parts.insert(0, preview["note"])
        return "; ".join(parts) or "no change"

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        columns = ["model", "action", "reason"]
        rows = [[s["model"], s["action"], s["reason"]] for s in self.steps]
        if self.previews is not None:
            columns.append("schema")
            for row in rows:
                row.append(self.schema_cell(row[0]))
        return columns, rows

    def to_text(self) -> str:
        if not self.steps:
            return self.title()
        return self.title() + "\n" + text_table(*self._table())

    def to_html(self) -> str:
        if not self.steps:
            return f"<div class='interlace-plan'><b>{escape(self.title())}</b></div>"
        return f"<div class='interlace-plan'><b>{escape(self.title())}</b>" + html_table(
            *self._table(), css="interlace-plan-table") + "</div>"
