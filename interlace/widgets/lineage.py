"""``LineageWidget``: column-level lineage trees (``LineageNode.to_dict()``) — where a column comes
from (upstream) or where it goes (downstream). A click on a column selects it and lists the
columns it is read from and read by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import traitlets

from interlace.widgets.base import STATIC, FallbackWidget, escape, jsonable

__all__ = ["LineageWidget"]


def key(node: Mapping[str, Any]) -> str:
    return f"{node['relation']}.{node['column']}"


class LineageWidget(FallbackWidget):
    """One or more lineage trees of one direction.

    >>> from interlace.widgets import LineageWidget
    >>> w = LineageWidget.of({"relation": "b", "column": "x", "kind": "value",
    ...                       "children": [{"relation": "a", "column": "x", "kind": "value", "children": []}]})
    >>> w.to_text()
    'Lineage of b.x (upstream)\\nb.x\\n  ← a.x'
    >>> w.selected = "a.x"; w.related()
    {'upstream': [], 'downstream': ['b.x']}
    """

    _esm = STATIC / "lineage.js"
    _css = STATIC / "lineage.css"

    trees = traitlets.List(traitlets.Dict()).tag(sync=True)  # [LineageNode.to_dict()]
    direction = traitlets.Unicode("upstream").tag(sync=True)  # upstream | downstream
    selected = traitlets.Unicode("").tag(sync=True)  # "relation.column" clicked in the view

    @traitlets.validate("direction")
    def _check_direction(self, proposal: Any) -> str:
        if proposal["value"] not in ("upstream", "downstream"):
            raise traitlets.TraitError("direction must be 'upstream' or 'downstream'")
        return proposal["value"]

    @classmethod
    def of(cls, trees: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, direction: str = "upstream") -> LineageWidget:
        items = [trees] if isinstance(trees, Mapping) else list(trees)
        return cls(trees=[jsonable(dict(t)) for t in items], direction=direction)

    def flows(self) -> set[tuple[str, str]]:
        """(source, target) column pairs, in the direction data flows."""
        out: set[tuple[str, str]] = set()

        def walk(node: Mapping[str, Any]) -> None:
            for child in node.get("children", []):
                out.add((key(child), key(node)) if self.direction == "upstream" else (key(node), key(child)))
                walk(child)

        for tree in self.trees:
            walk(tree)
        return out

    def related(self, column: str | None = None) -> dict[str, list[str]]:
        """The columns ``column`` (default: the selected one) is read from and read by, as far as the trees show."""
        column = column or self.selected
        flows = self.flows()
        return {"upstream": sorted(s for s, t in flows if t == column),
                "downstream": sorted(t for s, t in flows if s == column)}

    # -- fallbacks -------------------------------------------------------------------------------
    def title(self) -> str:
        roots = ", ".join(key(t) for t in self.trees) or "nothing (no lineage recorded)"
        return f"Lineage of {roots} ({self.direction})"

    def _label(self, node: Mapping[str, Any]) -> str:
        return key(node) + (f" ({node['kind']})" if node.get("kind", "value") != "value" else "")

    def to_text(self) -> str:
        arrow = "←" if self.direction == "upstream" else "→"
        lines = [self.title()]

        def walk(node: Mapping[str, Any], depth: int) -> None:
            lines.append(("  " * depth + f"{arrow} " if depth else "") + self._label(node))
            for child in node.get("children", []):
                walk(child, depth + 1)

        for tree in self.trees:
            walk(tree, 0)
        return "\n".join(lines)

    def to_html(self) -> str:
        def walk(node: Mapping[str, Any]) -> str:
            children = node.get("children", [])
            inner = "<ul>" + "".join(walk(c) for c in children) + "</ul>" if children else ""
            return f"<li><code>{escape(self._label(node))}</code>{inner}</li>"

        return (f"<div class='interlace-lineage-fallback'><b>{escape(self.title())}</b>"
                f"<ul>{''.join(walk(t) for t in self.trees)}</ul></div>")
