"""``ModelResult``: what building one model did — status, rows, timing, inserted/updated/deleted,
the schema change it made, its error (what, where, fix), and a preview of its rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import traitlets

from interlace.formatting import for_people
from interlace.widgets.base import STATIC, FallbackWidget, escape, html_table, jsonable, text_table

__all__ = ["ModelResult", "Preview"]


class Preview(TypedDict):
    columns: list[str]
    rows: list[list[Any]]


class ModelResult(FallbackWidget):
    """One model's result, from ``engine.results.ModelResult.to_dict()`` and a preview of its rows.

    >>> from interlace.widgets import ModelResult
    >>> w = ModelResult.of({"model": "m", "status": "success", "rows": 2}, columns=["x"], rows=[(1,), (2,)])
    >>> w.to_text().splitlines()[0]
    '✓ m: success · 2 rows'
    """

    _esm = STATIC / "model_result.js"
    _css = STATIC / "model_result.css"

    result = traitlets.Dict().tag(sync=True)
    preview = traitlets.Dict().tag(sync=True)  # Preview: {columns, rows}
    changes = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)  # schema change, if any

    @classmethod
    def of(cls, result: Mapping[str, Any], *, columns: Sequence[str] = (), rows: Sequence[Sequence[Any]] = (),
           changes: Mapping[str, Any] | None = None) -> ModelResult:
        preview = Preview(columns=list(columns), rows=[[jsonable(for_people(v)) for v in row] for row in rows])
        return cls(result=jsonable(dict(result)), preview=dict(preview),
                   changes=jsonable(dict(changes)) if changes else None)

    # -- fallbacks -------------------------------------------------------------------------------
    def headline(self) -> str:
        r = self.result
        parts = [f"{r.get('model')}: {r.get('status')}"]
        if r.get("rows") is not None:
            parts.append(f"{r['rows']:,} rows")
        for key in ("inserted", "updated", "deleted"):
            if r.get(key):
                parts.append(f"{r[key]:,} {key}")
        if r.get("duration_ms") is not None:
            parts.append(f"{r['duration_ms'] / 1000:.2f}s")
        if r.get("status") in ("skipped", "cancelled") and r.get("reason"):
            parts.append(str(r["reason"]))
        symbol = {"success": "✓", "failed": "✗"}.get(str(r.get("status")), "–")
        return f"{symbol} " + " · ".join(parts)

    def _error_lines(self) -> list[str]:
        error = self.result.get("error") or {}
        lines = [str(error.get("message") or "")]
        if error.get("origin"):
            lines.append(f"in {error['origin']}")
        if error.get("details"):  # e.g. the user's frames of a Python model's traceback
            lines.append(str(error["details"]))
        if error.get("hint"):
            lines.append(f"Fix: {error['hint']}")
        return [ln for ln in lines if ln] if error else []

    def _change_text(self) -> str:
        changes = self.changes or {}
        if not changes or changes.get("created"):
            return ""
        parts = [f"+{c} {t}" for c, t in changes.get("added", [])]
        parts += [f"-{c} {t}" for c, t in changes.get("removed", [])]
        parts += [f"{c}: {old} → {new}" for c, old, new in changes.get("retyped", [])]
        return "schema changed: " + ", ".join(parts) if parts else ""

    def check_badges(self) -> list[tuple[str, str]]:
        """(state, label) per quality check: state is pass, warn, fail or error."""
        badges = []
        for check in self.result.get("checks") or []:
            state = check["status"] if check["status"] != "fail" else ("warn" if check["severity"] == "warn" else "fail")
            label = check["check"] + (f": {check['failing']:,} failing" if check.get("failing") else "")
            badges.append((state, label))
        return badges

    def to_text(self) -> str:
        lines = [self.headline(), *self._error_lines()]
        if self.check_badges():
            symbol = {"pass": "✓", "warn": "!", "fail": "✗", "error": "✗"}
            lines.append("checks: " + ", ".join(f"{symbol.get(s, '?')} {label}" for s, label in self.check_badges()))
        if self._change_text():
            lines.append(self._change_text())
        if self.preview.get("columns"):
            lines.append(text_table(self.preview["columns"], self.preview["rows"]))
        return "\n".join(lines)

    def to_html(self) -> str:
        parts = [f"<div class='interlace-result-fallback' data-status='{escape(self.result.get('status'))}'>",
                 f"<b>{escape(self.headline())}</b>"]
        if self._error_lines():
            parts.append("<pre>" + escape("\n".join(self._error_lines())) + "</pre>")
        if self.check_badges():
            parts.append("<p>" + " ".join(f"<span data-check='{escape(s)}'>{escape(s)}: {escape(label)}</span>"
                                          for s, label in self.check_badges()) + "</p>")
        if self._change_text():
            parts.append(f"<p>{escape(self._change_text())}</p>")
        if self.preview.get("columns"):
            parts.append(html_table(self.preview["columns"], self.preview["rows"]))
        return "".join(parts) + "</div>"
