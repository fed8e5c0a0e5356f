"""A stream's event table: its columns, and how one payload is checked against them.

Never a silent cast: a value either fits its column as it is, widens it (BIGINT → DOUBLE, only
under ``schema_mode="safe"``), adds a column (a new field without declared ``fields``), or the
event is invalid with the field and the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from interlace.streams.spec import StreamSpec

__all__ = ["META_COLUMNS", "EventPlan", "Invalid", "TableSchema", "check_event", "quote"]

# every stream table starts with these; payload fields come after
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_offset", "BIGINT"), ("_event_id", "VARCHAR"), ("_received_at", "TIMESTAMPTZ"),
    ("_source", "VARCHAR"),
)
_META = frozenset(name for name, _ in META_COLUMNS)
MAX_EVENT_ID = 200
MAX_COLUMNS = 1000
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why one event was refused: its position in the request, the field and the reason."""

    index: int
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        return f"event {self.index}: field '{self.field}': {self.reason}"


@dataclass(slots=True)
class TableSchema:
    """The payload columns of one stream table (mutable: owned by the writer thread)."""

    columns: dict[str, str] = field(default_factory=dict)  # name -> DuckDB type


@dataclass(frozen=True, slots=True)
class EventPlan:
    """A valid event: its row, its idempotency key, and the schema changes it needs."""

    row: dict[str, Any]
    event_id: str | None
    add: Mapping[str, str]  # new column -> type
    widen: Mapping[str, str]  # column -> new type


def _kind(value: Any) -> str | None:
    """The DuckDB type a JSON value infers (None for null: no column until a value arrives)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "VARCHAR"
    return "JSON"


def _describe(value: Any) -> str:
    text = json.dumps(value, default=str)
    return f"{_kind(value) or 'null'} {text[:40] + '…' if len(text) > 40 else text}"


def _fits(column_type: str, value: Any) -> str | None:
    """None when ``value`` is a valid ``column_type`` value as it is; else the reason."""
    if value is None or column_type == "JSON":
        return None
    ok: bool
    if column_type == "BOOLEAN":
        ok = isinstance(value, bool)
    elif column_type == "BIGINT":
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    elif column_type == "DOUBLE":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif column_type == "VARCHAR":
        ok = isinstance(value, str)
    elif column_type in ("TIMESTAMPTZ", "DATE"):
        return _temporal(column_type, value)
    else:
        return f"column type {column_type} is not accepted from events"
    return None if ok else f"expected {column_type}, got {_describe(value)} (values are never cast)"


def _temporal(column_type: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected an ISO-8601 {column_type} string, got {_describe(value)}"
    try:
        (datetime if column_type == "TIMESTAMPTZ" else date).fromisoformat(value)
    except ValueError:
        return f"'{value[:40]}' is not an ISO-8601 {column_type}"
    return None


def check_event(spec: StreamSpec, schema: TableSchema, index: int,
                event: Any) -> EventPlan | Invalid:
    """Check one payload against the stream's fields or current columns."""
    if not isinstance(event, dict):
        return Invalid(index, "", f"an event must be a JSON object, got {_describe(event)}")
    event_id = event.get("_event_id")
    if event_id is not None:
        if isinstance(event_id, bool) or not isinstance(event_id, str | int):
            return Invalid(index, "_event_id", f"must be a string or integer, got {_describe(event_id)}")
        event_id = str(event_id)
        if not event_id or len(event_id) > MAX_EVENT_ID:
            return Invalid(index, "_event_id", f"must be 1 to {MAX_EVENT_ID} characters")
    declared = spec.declared
    row: dict[str, Any] = {}
    add: dict[str, str] = {}
    widen: dict[str, str] = {}
    for key, value in event.items():
        if key == "_event_id":
            continue
        if key.startswith("_"):
            return Invalid(index, key, "names starting with '_' are reserved for the stream's own "
                                       "columns (_offset, _event_id, _received_at, _source)")
        current = (declared or schema.columns).get(key)
        if current is None:
            if declared is not None:
                return Invalid(index, key, f"not a declared field of stream '{spec.name}' "
                                           f"(declared: {', '.join(declared)})")
            kind = _kind(value)
            if kind is not None:
                problem = _new_column(key, schema.columns, add)
                if problem is not None:
                    return Invalid(index, key, problem)
            if kind is not None and spec.config.schema_mode == "strict" and schema.columns:
                return Invalid(index, key, "a new field, and the stream's schema_mode is strict")
            if kind is not None:
                add[key] = kind
        else:
            reason = _fits(current, value)
            if reason is not None and declared is None and current == "BIGINT" \
                    and isinstance(value, float) and spec.config.schema_mode == "safe":
                widen[key], reason = "DOUBLE", None
            if reason is not None:
                return Invalid(index, key, reason)
        row[key] = json.dumps(value) if _stored_as_json(declared or schema.columns, add, key, value) \
            else value
    for name in spec.config.required:
        if event.get(name) is None:
            return Invalid(index, name, "required, and missing or null")
    return EventPlan(row, event_id, add, widen)


def _new_column(key: str, columns: Mapping[str, str], add: Mapping[str, str]) -> str | None:
    """Why ``key`` cannot become a column (None: it can)."""
    if not _FIELD.match(key):
        return ("a new field needs a name of letters, digits and underscores starting with a "
                "letter (at most 128): it becomes a column")
    same = next((c for c in (*columns, *add) if c.lower() == key.lower()), None)
    if same is not None:
        return f"differs from the existing column '{same}' only by case (column names ignore case)"
    if len(columns) + len(add) >= MAX_COLUMNS:
        return f"the stream already has {MAX_COLUMNS} columns"
    return None


def _stored_as_json(columns: Mapping[str, str], add: Mapping[str, str], key: str, value: Any) -> bool:
    return value is not None and (columns.get(key) or add.get(key)) == "JSON"
