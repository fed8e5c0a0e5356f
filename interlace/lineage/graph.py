"""Follow stored lineage edges across models: where a column comes from, and where it goes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from interlace.errors import UnknownModelError, did_you_mean

__all__ = ["LineageGraph", "LineageNode"]


@dataclass(frozen=True, slots=True)
class LineageNode:
    relation: str
    column: str
    kind: str = "value"  # how the parent reads this node
    children: tuple[LineageNode, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "column": self.column, "kind": self.kind,
                "children": [c.to_dict() for c in self.children]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineageNode:
        return cls(data["relation"], data["column"], data["kind"],
                   tuple(cls.from_dict(c) for c in data["children"]))


class LineageGraph:
    """Edges (model, column, source, source column, kind) of a project, queried by column."""

    def __init__(self, edges: Iterable[tuple[str, str | None, str, str, str]]) -> None:
        self.edges = list(edges)
        self._up: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
        self._down: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
        self._reads: dict[tuple[str, str], set[str]] = defaultdict(set)
        for model, column, source, source_column, kind in self.edges:
            self._reads[(source, source_column)].add(model)
            if column is not None:
                self._up[(model, column)].append((source, source_column, kind))
                self._down[(source, source_column)].append((model, column, kind))

    def columns(self, model: str, *, downstream: bool = False) -> list[str]:
        """The columns of ``model`` with lineage: its outputs with sources, or (downstream) its
        columns that other models read."""
        if downstream:
            return sorted({c for m, c, *_ in self.edges if m == model and c}
                          | {sc for _, _, s, sc, _ in self.edges if s == model})
        return sorted({c for m, c, *_ in self.edges if m == model and c is not None})

    def trees(self, model: str, column: str | None = None, *, downstream: bool = False) -> list[LineageNode]:
        """Lineage of ``model.column`` (or of every column of ``model`` with lineage), one tree each;
        an unknown column is an :class:`UnknownModelError` with a suggestion."""
        known = self.columns(model, downstream=downstream)
        if column and column not in known:
            raise UnknownModelError(
                f"no lineage for column '{column}' of '{model}'." + did_you_mean(column, known),
                hint=f"columns with lineage: {', '.join(known) or 'none yet (build the model first)'}",
            )
        follow = self.downstream if downstream else self.upstream
        return [follow(model, c) for c in ([column] if column else known)]

    def upstream(self, model: str, column: str) -> LineageNode:
        return self._tree(model, column, self._up, "value", set())

    def downstream(self, model: str, column: str) -> LineageNode:
        return self._tree(model, column, self._down, "value", set())

    def readers(self, model: str, column: str) -> set[str]:
        """Models that read ``model.column`` in any way (value, filter, join or group)."""
        return set(self._reads.get((model, column), set())) | self._reads.get((model, "*"), set())

    def _tree(self, relation: str, column: str, edges: dict[tuple[str, str], list[tuple[str, str, str]]],
              kind: str, seen: set[tuple[str, str]]) -> LineageNode:
        key = (relation, column)
        if key in seen:  # defensive: lineage of a project is acyclic
            return LineageNode(relation, column, kind)
        children = tuple(self._tree(r, c, edges, k, seen | {key}) for r, c, k in sorted(edges.get(key, [])))
        return LineageNode(relation, column, kind, children)
