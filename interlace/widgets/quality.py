"""``QualityReport``: quality check results (``state.quality_results()``) — one row per check, and
for each failing check its message, the SQL that reproduces it and sample failing rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import traitlets

from interlace.formatting import for_people
from interlace.widgets.base import STATIC, FallbackWidget, escape, html_table, jsonable, text_table

__all__ = ["QualityReport"]

_COLUMNS = ("model", "check", "severity", "status", "failing", "checked")


def _status(result: Mapping[str, Any]) -> str:
    """pass | fail | warn (a failing check of severity warn) | error."""
    if result.get("status") == "fail" and result.get("severity") == "warn":
        return "warn"
    return str(result.get("status"))


class QualityReport(FallbackWidget):
    """Quality check results, newest first, as ``StateStore.quality_results`` returns them.

    >>> from interlace.widgets import QualityReport
    >>> r = QualityReport.of([{"model": "m", "check_name": "not_null(id)", "severity": "error", "status": "pass",
    ...                        "failing": 0}])
    >>> r.title()
    'Quality: 1 check · 1 pass'
    """

    _esm = STATIC / "quality.js"
    _css = STATIC / "quality.css"

    results = traitlets.List(traitlets.Dict()).tag(sync=True)
    label = traitlets.Unicode("Quality").tag(sync=True)  # e.g. "Quality of 'orders' (history)"

    @classmethod
    def of(cls, results: Sequence[Mapping[str, Any]], *, label: str = "Quality") -> QualityReport:
        rows = []
        for result in results:
            row = jsonable(dict(result))
            row["samples"] = [{k: for_people(v) for k, v in s.items()} for s in row.get("samples") or []]
            row["outcome"] = _status(result)
            rows.append(row)
        return cls(results=rows, label=label)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r["outcome"]] = out.get(r["outcome"], 0) + 1
        return {k: out[k] for k in ("pass", "warn", "fail", "error") if k in out}

    # -- fallbacks -------------------------------------------------------------------------------
    def title(self) -> str:
        n = len(self.results)
        if not n:
            return f"{self.label}: no results yet (declare quality_checks and run the models)"
        return f"{self.label}: {n} check{'s' if n != 1 else ''} · " + " · ".join(
            f"{v} {k}" for k, v in self.counts().items())

    def _rows(self) -> list[list[Any]]:
        return [[r.get("model"), r.get("check_name"), r.get("severity"), r["outcome"], r.get("failing"),
                 str(r.get("checked_at") or "")[:19].replace("T", " ")] for r in self.results]

    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["outcome"] != "pass"]

    def to_text(self) -> str:
        lines = [self.title()]
        if self.results:
            lines.append(text_table(_COLUMNS, self._rows()))
        for r in self.failures():
            lines.append(f"\n{r.get('model')}: {r.get('check_name')} — {r.get('message') or r['outcome']}")
            if r.get("sql"):
                lines.append(f"  reproduce: {r['sql']}")
            lines.extend(f"  {sample}" for sample in r["samples"])
        return "\n".join(lines)

    def to_html(self) -> str:
        parts = [f"<div class='interlace-quality-fallback'><b>{escape(self.title())}</b>"]
        if self.results:
            parts.append(html_table(_COLUMNS, self._rows(), css="interlace-quality-table"))
        for r in self.failures():
            parts.append(f"<div class='interlace-quality-failure'><p>{escape(r.get('model'))}: "
                         f"{escape(r.get('check_name'))} — {escape(r.get('message') or r['outcome'])}</p>")
            if r.get("sql"):
                parts.append(f"<pre>{escape(r['sql'])}</pre>")
            samples = r["samples"]
            if samples:
                columns = list(dict.fromkeys(k for s in samples for k in s))
                parts.append(html_table(columns, [[s.get(c) for c in columns] for s in samples],
                                        css="interlace-quality-samples"))
            parts.append("</div>")
        parts.append("</div>")
        return "".join(parts)
