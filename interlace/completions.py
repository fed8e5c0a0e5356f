"""Completions inside a ``%%interlace_model`` cell: model, table and column names at the cursor.

A pure function over plain values, so every face can offer it (the JupyterLab extension asks
through the kernel comm, ``interlace.magics.comm``). It reads the SQL with a tolerant scan, not
the SQL parser: the text being typed is rarely valid SQL.

- After ``name.`` (a model, a table or an alias from ``FROM x AS a`` / ``JOIN x a``): the
  columns of that relation.
- Elsewhere in the body: models, tables, and the columns of the relations the cell reads.
- On the magic line itself: nothing (its flags are not names).

Core: imports nothing outside the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["Completion", "CompletionItem", "Vocabulary", "complete", "vocabulary"]

_INTERNAL_SCHEMAS = frozenset({"interlace", "information_schema", "pg_catalog"})

_WORD_BEFORE = re.compile(r"([A-Za-z_][\w$]*)?$")
_QUALIFIER = re.compile(r'("?)([A-Za-z_][\w$]*)\1\.$')
_READS = re.compile(r'\b(?:from|join)\s+((?:"?[\w$]+"?\.)*"?[\w$]+"?)(?:\s+(?:as\s+)?([A-Za-z_][\w$]*))?',
                    re.IGNORECASE)
# words that may follow a relation name and are not its alias
_NOT_ALIASES = frozenset((
    "where", "group", "order", "limit", "on", "using", "join", "left", "right", "inner", "outer", "full",
    "cross", "natural", "union", "except", "intersect", "having", "window", "qualify", "as", "select",
    "from", "lateral", "offset", "fetch", "and", "or"))


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The names a cell may use: each model's and each other table's columns (name, type)."""

    models: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    tables: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)

    def columns(self, relation: str) -> Sequence[tuple[str, str]]:
        """The columns of a model or table, by its name (a table also by its last name part)."""
        if relation in self.models:
            return self.models[relation]
        if relation in self.tables:
            return self.tables[relation]
        for name, columns in self.tables.items():
            if name.rsplit(".", 1)[-1] == relation:
                return columns
        return ()


@dataclass(frozen=True, slots=True)
class CompletionItem:
    label: str
    type: str  # "model", "table" or "column"
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "type": self.type, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Completion:
    """What replaces ``text[start:end]``: one of ``items``."""

    start: int
    end: int
    items: tuple[CompletionItem, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "items": [i.to_dict() for i in self.items]}


def vocabulary(ws: Workspace) -> Vocabulary:
    """The workspace's names: every model (with its table's columns once built) and every other
    table or view of the warehouse, from one catalogue scan."""
    every = ws.engine.all_columns()
    models: dict[str, Sequence[tuple[str, str]]] = {}
    taken = set()
    for name, spec in ws.models.items():
        key = ws.engine.key(ws.project.relation(spec))
        taken.add(key)
        models[name] = every.get(key, [])
    tables: dict[str, Sequence[tuple[str, str]]] = {}
    for key, columns in every.items():
        database, schema, table = key
        if key in taken or schema in _INTERNAL_SCHEMAS or database in ("system", "temp"):
            continue
        tables[table if schema == "main" else f"{schema}.{table}"] = columns
    return Vocabulary(models, tables)


def complete(text: str, cursor: int, vocabulary: Vocabulary) -> Completion:
    """The completions of the word at ``cursor`` (a character offset) in the cell ``text``."""
    cursor = max(0, min(cursor, len(text)))
    before = text[:cursor]
    word = _WORD_BEFORE.search(before)  # always matches (the word may be empty)
    prefix = (word.group(1) if word else None) or ""
    start = cursor - len(prefix)
    if "\n" not in before and text.lstrip().startswith("%%"):
        return Completion(start, cursor)  # the magic line: flags, not names
    qualifier = _QUALIFIER.search(before[:start])
    reads = _reads(text)
    if qualifier is not None:
        relation = reads.get(qualifier.group(2), qualifier.group(2))
        items = [CompletionItem(c, "column", f"{relation}.{c} {t}".strip()) for c, t in vocabulary.columns(relation)]
    else:
        items = [CompletionItem(m, "model", "model") for m in sorted(vocabulary.models)]
        items += [CompletionItem(t, "table", "table") for t in sorted(vocabulary.tables) if t not in vocabulary.models]
        seen = {i.label for i in items}
        for relation in dict.fromkeys(reads.values()):
            for column, type_ in vocabulary.columns(relation):
                if column not in seen:
                    seen.add(column)
                    items.append(CompletionItem(column, "column", f"{relation}.{column} {type_}".strip()))
    wanted = prefix.lower()
    return Completion(start, cursor, tuple(i for i in items if i.label.lower().startswith(wanted)))


def _reads(text: str) -> dict[str, str]:
    """The relations the SQL reads, by the name or alias it calls them: ``{alias or name: name}``."""
    found: dict[str, str] = {}
    for match in _READS.finditer(text):
        name = match.group(1).replace('"', "")
        found[name] = name
        found.setdefault(name.rsplit(".", 1)[-1], name)
        alias = match.group(2)
        if alias and alias.lower() not in _NOT_ALIASES:
            found[alias] = name
    return found
