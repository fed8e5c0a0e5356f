"""Names of relations in the warehouse, always quoted when they reach SQL."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Relation", "quote", "string_literal"]


def quote(identifier: str) -> str:
    """A DuckDB identifier, double-quoted with embedded quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def string_literal(value: str) -> str:
    """A SQL string literal, for the few statements that take no bound parameters (ATTACH)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Relation:
    schema: str
    name: str
    catalog: str | None = None

    @property
    def sql(self) -> str:
        parts = [self.catalog] if self.catalog else []
        return ".".join(quote(p) for p in (*parts, self.schema, self.name))

    def __str__(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.name) if p)
