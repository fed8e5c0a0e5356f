"""Column descriptions through lineage: a column passed through unchanged inherits its upstream's.

Pure: a function from the models' own descriptions (``columns=`` on ``@model`` and SQL headers),
the topological order and the lineage edges to every column's description, marked with where it
came from. A column is *passed through* when its value comes from exactly one upstream column of
the same name (``SELECT customer_id FROM ...``, ``c.customer_id``); lineage records which columns a
value is computed from, not how, so a same-name column computed from that one column alone
(``upper(name) AS name``) counts as passed through too. A description written on the model always
wins over an inherited one. Models are visited in topological order, so a description travels down
a chain of pass-throughs. A ``*`` edge (``SELECT *``, or a Python model that filters or sorts its
input) passes every column of its source through, unless the column has edges of its own or more
than one ``*`` source has a column of that name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ColumnDescription", "column_descriptions"]

Edge = tuple[str, "str | None", str, str, str]  # (model, column, source, source column, kind)


@dataclass(frozen=True, slots=True)
class ColumnDescription:
    """A column's description, and the ``(model, column)`` it was inherited from (None: its own)."""

    text: str
    inherited_from: tuple[str, str] | None = None

    @property
    def inherited(self) -> bool:
        return self.inherited_from is not None


def column_descriptions(
    own: Mapping[str, Mapping[str, str]],
    order: Sequence[str],
    edges: Iterable[Edge],
) -> dict[str, dict[str, ColumnDescription]]:
    """``{model: {column: ColumnDescription}}`` for every column that has one, own or inherited.

    >>> own = {"stg": {"id": "The order's id"}}
    >>> edges = [("orders", "id", "stg", "id", "value"), ("orders", "n", "stg", "id", "value")]
    >>> out = column_descriptions(own, ["stg", "orders"], edges)
    >>> out["orders"]["id"]
    ColumnDescription(text="The order's id", inherited_from=('stg', 'id'))
    >>> "n" in out["orders"]  # computed from 'id' under another name: not passed through
    False
    """
    sources: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for model, column, source, source_column, kind in edges:
        if column is not None and kind == "value":
            sources[(model, column)].add((source, source_column))
    by_model: dict[str, list[str]] = defaultdict(list)
    stars: dict[str, list[str]] = defaultdict(list)  # model -> sources it reads with SELECT *
    for model, column in sources:
        if column == "*":
            stars[model].extend(s for s, c in sources[(model, column)] if c == "*")
        else:
            by_model[model].append(column)
    result: dict[str, dict[str, ColumnDescription]] = {}
    for model in order:
        described = {c: ColumnDescription(t) for c, t in (own.get(model) or {}).items() if t}
        for column in by_model.get(model, ()):
            if column in described:
                continue
            origin = _passed_through(column, sources[(model, column)])
            if origin is None:
                continue
            upstream = result.get(origin[0], {}).get(origin[1])
            if upstream is not None:
                described[column] = ColumnDescription(upstream.text, upstream.inherited_from or origin)
        for column, origin in _through_stars(stars.get(model, ()), result).items():
            if column not in described and (model, column) not in sources:
                upstream = result[origin[0]][origin[1]]
                described[column] = ColumnDescription(upstream.text, upstream.inherited_from or origin)
        if described:
            result[model] = described
    return result


def _through_stars(sources: Sequence[str], result: Mapping[str, Mapping[str, ColumnDescription]]
                   ) -> dict[str, tuple[str, str]]:
    """Columns a ``*`` passes through from exactly one described source: {column: (source, column)}."""
    found: dict[str, list[str]] = defaultdict(list)
    for source in dict.fromkeys(sources):
        for column in result.get(source, {}):
            found[column].append(source)
    return {c: (s[0], c) for c, s in found.items() if len(s) == 1}


def _passed_through(column: str, sources: set[tuple[str, str]]) -> tuple[str, str] | None:
    if len(sources) != 1:
        return None
    source = next(iter(sources))
    return source if source[1] == column else None
