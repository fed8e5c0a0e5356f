"""Schema modes: what happens when a model's output no longer matches its existing table.

Checked before anything is written. ``strict`` fails on any difference; ``safe`` adds columns,
keeps removed ones (NULL in new rows) and widens types; ``flexible`` also casts existing data to a
new type (failing if a value does not convert); ``lenient`` casts with TRY_CAST and counts the
values that became NULL; ``ignore`` checks nothing. No mode drops a column or a row of history.
A ``replace`` table (and a view) simply takes the new shape under every mode but ``strict``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from interlace.engine.relation import Relation, quote
from interlace.errors import SchemaChangeError
from interlace.project.spec import ModelSpec

__all__ = ["ColumnChange", "apply_schema_mode", "compare_columns", "is_widening"]

_INT_LADDERS = (
    ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"),
    ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"),
)
_INT_DIGITS = {"TINYINT": 3, "SMALLINT": 5, "INTEGER": 10, "BIGINT": 19, "HUGEINT": 39}
_EXACT_IN_DOUBLE = {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER", "FLOAT"}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
# which change each mode allows without error, for the message ("allowed by ...")
_ALLOWED_BY = {"added": "safe", "removed": "safe", "widened": "safe", "retyped": "flexible"}
_MODE_ORDER = ("strict", "safe", "flexible", "lenient", "ignore")


@dataclass(frozen=True, slots=True)
class ColumnChange:
    column: str
    kind: str  # added | removed | widened | retyped | narrowed (the table's type can hold the new one)
    old_type: str | None
    new_type: str | None

    def describe(self) -> str:
        if self.kind == "added":
            return f"{self.column}: new column {self.new_type}"
        if self.kind == "removed":
            return f"{self.column}: no longer produced (was {self.old_type})"
        return f"{self.column}: {self.old_type} → {self.new_type} ({self.kind})"


def is_widening(old: str, new: str) -> bool:
    """Whether every value of type ``old`` is exactly representable in type ``new``."""
    old, new = old.upper(), new.upper()
    if old == new:
        return True
    for ladder in _INT_LADDERS:
        if old in ladder and new in ladder:
            return ladder.index(old) < ladder.index(new)
    if new == "DOUBLE":
        return old in _EXACT_IN_DOUBLE
    if new == "FLOAT":
        return old in ("TINYINT", "SMALLINT", "UTINYINT", "USMALLINT")
    if old == "DATE" and new in ("TIMESTAMP", "TIMESTAMP_NS"):
        return True
    new_dec = _DECIMAL.match(new)
    if new_dec:
        precision, scale = int(new_dec.group(1)), int(new_dec.group(2))
        old_dec = _DECIMAL.match(old)
        if old_dec:
            p, s = int(old_dec.group(1)), int(old_dec.group(2))
            return scale >= s and precision - scale >= p - s
        return old in _INT_DIGITS and precision - scale >= _INT_DIGITS[old]
    return False


def compare_columns(old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]]) -> list[ColumnChange]:
    """How ``new`` (the model's output) differs from ``old`` (the table), column by column."""
    before = {c.lower(): (c, t) for c, t in old}
    after = {c.lower(): (c, t) for c, t in new}
    changes = [ColumnChange(c, "added", None, t) for key, (c, t) in after.items() if key not in before]
    changes += [ColumnChange(c, "removed", t, None) for key, (c, t) in before.items() if key not in after]
    for key, (c, new_type) in after.items():
        if key in before and before[key][1] != new_type:
            old_type = before[key][1]
            kind = "widened" if is_widening(old_type, new_type) else (
                "narrowed" if is_widening(new_type, old_type) else "retyped")
            changes.append(ColumnChange(c, kind, old_type, new_type))
    return changes


def apply_schema_mode(cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, relation: Relation,
                      changes: list[ColumnChange], *, keeps_history: bool) -> dict[str, int]:
    """Fail (before any write) or evolve the table so the new output fits; returns, for ``lenient``,
    the number of values per column that could not be cast and became NULL."""
    mode = spec.config.schema_mode
    if mode == "ignore" or not changes:
        return {}
    if mode == "strict":
        _fail(spec, relation, changes, mode)
    if not keeps_history:
        return {}  # replace: the new table simply takes the new shape
    blocked = [c for c in changes if c.kind == "retyped" and mode == "safe"]
    if blocked:
        _fail(spec, relation, blocked, mode)
    nulled: dict[str, int] = {}
    for change in changes:
        column = quote(change.column)
        if change.kind == "added":
            cursor.execute(f"ALTER TABLE {relation.sql} ADD COLUMN {column} {change.new_type}")
        elif change.kind in ("widened", "retyped"):
            if mode == "lenient" and change.kind == "retyped":
                count = cursor.execute(
                    f"SELECT count(*) FROM {relation.sql} WHERE {column} IS NOT NULL "
                    f"AND TRY_CAST({column} AS {change.new_type}) IS NULL").fetchall()[0]
                nulled[change.column] = int(count[0]) if count else 0
                cast = f"TRY_CAST({column} AS {change.new_type})"
            else:
                cast = f"CAST({column} AS {change.new_type})"
            try:
                cursor.execute(f"ALTER TABLE {relation.sql} ALTER {column} TYPE {change.new_type} USING {cast}")
            except duckdb.ConversionException as exc:
                raise SchemaChangeError(
                    f"schema_mode='{mode}' could not cast the existing values of column '{change.column}' "
                    f"from {change.old_type} to {change.new_type}: {exc}. Nothing was written.",
                    model=spec.name, origin=str(spec.origin),
                    hint="use schema_mode='lenient' to turn values that do not convert into NULL, "
                    "or change the model's output back",
                ) from exc
    return nulled


def _fail(spec: ModelSpec, relation: Relation, changes: list[ColumnChange], mode: str) -> None:
    lines = []
    for change in changes:
        allowed = _ALLOWED_BY.get(change.kind, "safe")
        later = [m for m in _MODE_ORDER[_MODE_ORDER.index(allowed):] if m != "ignore"]
        lines.append(f"  {change.describe()}: allowed by schema_mode=" + " or ".join(f"'{m}'" for m in later))
    loosest = min((_ALLOWED_BY.get(c.kind, "safe") for c in changes), key=_MODE_ORDER.index)
    needed = max((_ALLOWED_BY.get(c.kind, "safe") for c in changes), key=_MODE_ORDER.index)
    raise SchemaChangeError(
        f"the output does not fit the existing table {relation} under schema_mode='{mode}'; nothing was written",
        model=spec.name, origin=str(spec.origin), details="\n".join(lines),
        hint=f"change the model's output back, or set schema_mode='{needed}' on the model"
        + (" (strict is a contract: every change is an error)" if mode == "strict" and loosest else ""),
    )
