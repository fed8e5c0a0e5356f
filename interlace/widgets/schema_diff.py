"""``SchemaDiff``: the columns a model added, removed and retyped between two versions of its table.

Takes the change as the state store records it (``{"added": [[col, type]], "removed": [[col, type]],
"retyped": [[col, old, new]]}``) plus the new columns, so it renders the schema history, a
difference between environments or a pre-write check alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import traitlets

from interlace.widgets.base import STATIC, FallbackWidget, escape, html_table, jsonable, text_table

__all__ = ["SchemaDiff"]


class SchemaDiff(FallbackWidget):
    """The difference between two schemas of one model.

    >>> from interlace.widgets import SchemaDiff
    >>> d = SchemaDiff.of("m", {"added": [["b", "VARCHAR"]], "removed": [], "retyped": []},
    ...                   columns=[("a", "INTEGER"), ("b", "VARCHAR")], before="version 1", after="version 2")
    >>> d.to_text().splitlines()[0]
    "Schema of 'm': version 1 → version 2: 1 added, 0 removed, 0 retyped"
    """

    _esm = STATIC / "schema_diff.js"
    _css = STATIC / "schema_diff.css"

    model = traitlets.Unicode("").tag(sync=True)
    before = traitlets.Unicode("").tag(sync=True)  # label of the old side, e.g. "version 2"
    after = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{column, change, old, new}] in column order

    @classmethod
    def of(cls, model: str, changes: Mapping[str, Any], *, columns: Sequence[Sequence[str]],
           before: str = "before", after: str = "after") -> SchemaDiff:
        """From a recorded change and the new ``columns`` ([name, type] pairs)."""
        added = {c: t for c, t in changes.get("added", [])}
        retyped = {c: (old, new) for c, old, new in changes.get("retyped", [])}
        rows: list[dict[str, Any]] = []
        for name, dtype in columns:
            if name in added:
                rows.append({"column": name, "change": "added", "old": None, "new": dtype})
            elif name in retyped:
                rows.append({"column": name, "change": "retyped", "old": retyped[name][0], "new": retyped[name][1]})
            else:
                rows.append({"column": name, "change": "same", "old": dtype, "new": dtype})
        for name, dtype in changes.get("removed", []):
            rows.append({"column": name, "change": "removed", "old": dtype, "new": None})
        if changes.get("created"):
            rows = [{"column": n, "change": "added", "old": None, "new": t} for n, t in columns]
        return cls(model=model, before=before, after=after, rows=jsonable(rows))

    def count(self, change: str) -> int:
        return sum(1 for r in self.rows if r["change"] == change)

    # -- fallbacks -------------------------------------------------------------------------------
    def title(self) -> str:
        counts = ", ".join(f"{self.count(c)} {c}" for c in ("added", "removed", "retyped"))
        return f"Schema of '{self.model}': {self.before} → {self.after}: {counts}"

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        symbol = {"added": "+", "removed": "-", "retyped": "~", "same": " "}
        return (["", "column", self.before, self.after],
                [[symbol[r["change"]], r["column"], r["old"] or "", r["new"] or ""] for r in self.rows])

    def to_text(self) -> str:
        return self.title() + "\n" + text_table(*self._table())

    def to_html(self) -> str:
        return (f"<div class='interlace-diff-fallback'><b>{escape(self.title())}</b>"
                + html_table(*self._table()) + "</div>")
