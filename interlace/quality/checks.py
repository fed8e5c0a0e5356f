"""Check declarations: what each check type takes, normalized into one :class:`Check` value.

A check is written as a mapping (``{"not_null": "id"}``, ``{"unique": ["a", "b"]}``,
``{"accepted_values": {"column": "status", "values": ["a", "b"], "severity": "warn"}}``) or as a
call-like string (``"not_null(id)"``, ``"accepted_values(status, ['a', 'b'])"``), the form the
``%%interlace_model --check`` flag uses. Every type takes ``severity: error|warn`` (default error).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interlace.errors import did_you_mean

__all__ = ["CHECK_TYPES", "Check", "CheckDefinitionError", "CheckType", "parse_check", "parse_checks"]

_DURATION = re.compile(r"^(\d+)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class CheckDefinitionError(ValueError):
    """A check declaration that is not valid (the caller adds model and origin)."""


@dataclass(frozen=True, slots=True)
class Check:
    type: str
    severity: str  # error | warn
    columns: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""  # e.g. "not_null(order_id)": how results and messages refer to it

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "severity": self.severity,
                "columns": list(self.columns), **dict(self.options)}

    @property
    def waits_for(self) -> tuple[str, ...]:
        """Models that must be built before this check runs (a relationships target)."""
        return CHECK_TYPES[self.type].waits_for(self)

    def failing_rows(self, relation_sql: str, resolve: Resolve) -> tuple[str, dict[str, Any]]:
        """A query returning the rows of ``relation_sql`` that fail the check, and its parameters."""
        return CHECK_TYPES[self.type].failing_rows(self, relation_sql, [_quote(c) for c in self.columns], resolve)


def _columns(value: Any, *, allow_many: bool) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items or not all(isinstance(c, str) and c for c in items):
        raise CheckDefinitionError("needs a column name" + (" or a list of column names" if allow_many else ""))
    if len(items) > 1 and not allow_many:
        raise CheckDefinitionError("takes one column")
    return tuple(items)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckDefinitionError(f"'{what}' must be a number (got {value!r})")
    return value


# Each parser takes the check's argument (after severity was removed) and returns (columns, options).
def _not_null(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return _columns(arg.get("columns", arg.get("column")) if isinstance(arg, Mapping) else arg, allow_many=True), {}


def _unique(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return _columns(arg.get("columns", arg.get("column")) if isinstance(arg, Mapping) else arg, allow_many=True), {}


def _accepted_values(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"column", "values"}, required=("column", "values"))
    values = arg["values"]
    if not isinstance(values, list | tuple) or not values:
        raise CheckDefinitionError("'values' must be a non-empty list")
    return _columns(arg["column"], allow_many=False), {"values": list(values)}


def _relationships(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"column", "to", "field"}, required=("column", "to"))
    column = _columns(arg["column"], allow_many=False)
    if not isinstance(arg["to"], str):
        raise CheckDefinitionError("'to' must name a model or table")
    return column, {"to": arg["to"], "field": arg.get("field", column[0])}


def _row_count(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"min", "max"})
    if not arg:
        raise CheckDefinitionError("needs 'min', 'max' or both")
    return (), {k: _number(v, k) for k, v in arg.items()}


def _freshness(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"column", "max_age"}, required=("column", "max_age"))
    match = _DURATION.match(str(arg["max_age"]))
    if not match:
        raise CheckDefinitionError(f"'max_age' must be a duration like '6h' or '2d' (got {arg['max_age']!r})")
    return _columns(arg["column"], allow_many=False), {
        "max_age": arg["max_age"], "seconds": int(match.group(1)) * _SECONDS[match.group(2)]}


def _range(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"column", "min", "max"}, required=("column",))
    if "min" not in arg and "max" not in arg:
        raise CheckDefinitionError("needs 'min', 'max' or both")
    return _columns(arg["column"], allow_many=False), {k: arg[k] for k in ("min", "max") if k in arg}


def _pattern(arg: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    _keys(arg, {"column", "regex"}, required=("column", "regex"))
    try:
        re.compile(arg["regex"])
    except (re.error, TypeError) as exc:
        raise CheckDefinitionError(f"'regex' is not a valid regular expression: {exc}") from None
    return _columns(arg["column"], allow_many=False), {"regex": arg["regex"]}


def _sql_text(arg: Any, key: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    text = arg.get(key) if isinstance(arg, Mapping) else arg
    if isinstance(arg, Mapping):
        _keys(arg, {key}, required=(key,))
    if not isinstance(text, str) or not text.strip():
        raise CheckDefinitionError(f"needs SQL text ({'a predicate' if key == 'expression' else 'a query'})")
    return (), {key: text.strip().rstrip(";")}


# Each SQL builder returns a query of the rows that fail the check, and its named parameters.
Resolve = Callable[[str], Any]  # a name in a check -> the Relation it refers to, or None


def _sql_not_null(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return f"SELECT * FROM {rel} WHERE " + " OR ".join(f"{q} IS NULL" for q in cols), {}


def _sql_unique(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    keys = ", ".join(cols)
    return (f"SELECT {keys}, count(*) AS occurrences FROM {rel} WHERE "
            + " AND ".join(f"{q} IS NOT NULL" for q in cols) + " GROUP BY ALL HAVING count(*) > 1"), {}


def _sql_accepted_values(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return (f"SELECT * FROM {rel} WHERE {cols[0]} IS NOT NULL AND NOT list_contains($accepted, {cols[0]})",
            {"accepted": list(c.options["values"])})


def _sql_relationships(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    parent = resolve(c.options["to"])
    if parent is None:
        raise LookupError(f"relationships target '{c.options['to']}' is not a model or table that exists")
    return (f"SELECT * FROM {rel} AS child WHERE child.{cols[0]} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {parent.sql} AS parent WHERE parent.{_quote(c.options['field'])} = child.{cols[0]})"), {}


def _sql_row_count(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    o = c.options
    bounds = [f"count(*) < {float(o['min'])!r}" if "min" in o else "",
              f"count(*) > {float(o['max'])!r}" if "max" in o else ""]
    return f"SELECT count(*) AS row_count FROM {rel} HAVING " + " OR ".join(b for b in bounds if b), {}


def _sql_freshness(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return (f"SELECT max({cols[0]}) AS latest FROM {rel} HAVING max({cols[0]}) IS NULL OR "
            f"CAST(max({cols[0]}) AS TIMESTAMPTZ) < now() - to_seconds($max_age_s)",
            {"max_age_s": c.options["seconds"]})


def _sql_range(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    parts, params = [], {}
    if "min" in c.options:
        parts.append(f"{cols[0]} < $low")
        params["low"] = c.options["min"]
    if "max" in c.options:
        parts.append(f"{cols[0]} > $high")
        params["high"] = c.options["max"]
    return f"SELECT * FROM {rel} WHERE " + " OR ".join(parts), params


def _sql_pattern(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return (f"SELECT * FROM {rel} WHERE {cols[0]} IS NOT NULL AND NOT regexp_matches(CAST({cols[0]} AS VARCHAR), "
            "$regex)", {"regex": c.options["regex"]})


def _sql_expression(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return f"SELECT * FROM {rel} WHERE NOT ({c.options['expression']})", {}


def _sql_query(c: Check, rel: str, cols: list[str], resolve: Resolve) -> tuple[str, dict[str, Any]]:
    return c.options["sql"], {}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


Label = Callable[[str, tuple[str, ...], Mapping[str, Any]], str]  # (type, columns, options) -> name


def _label_sql(kind: str, columns: tuple[str, ...], options: Mapping[str, Any]) -> str:
    text = " ".join(str(options[kind]).split())
    return f"{kind}({text if len(text) <= 60 else text[:57] + '...'})"


def _label_columns(extra: str | None = None) -> Label:
    def label(kind: str, columns: tuple[str, ...], options: Mapping[str, Any]) -> str:
        value = options.get(extra) if extra else None
        return f"{kind}({', '.join(columns)}{', ' + str(value) if value else ''})"
    return label


@dataclass(frozen=True, slots=True)
class CheckType:
    """One kind of check: how it is declared, the SQL of its failing rows, what it needs from the graph."""

    name: str
    parse: Callable[[Any], tuple[tuple[str, ...], dict[str, Any]]]  # argument -> (columns, options)
    failing_rows: Callable[[Check, str, list[str], Resolve], tuple[str, dict[str, Any]]]
    label: Label = field(default_factory=_label_columns)
    waits_for: Callable[[Check], tuple[str, ...]] = lambda check: ()  # models built before the check runs


CHECK_TYPES: dict[str, CheckType] = {t.name: t for t in (
    CheckType("not_null", _not_null, _sql_not_null),
    CheckType("unique", _unique, _sql_unique),
    CheckType("accepted_values", _accepted_values, _sql_accepted_values),
    CheckType("relationships", _relationships, _sql_relationships,
              label=lambda kind, cols, o: f"relationships({cols[0]} -> {o['to']}.{o['field']})",
              waits_for=lambda check: (check.options["to"],)),
    CheckType("row_count", _row_count, _sql_row_count,
              label=lambda kind, cols, o: "row_count(" + ", ".join(f"{k}={v:g}" for k, v in o.items()) + ")"),
    CheckType("freshness", _freshness, _sql_freshness, label=_label_columns("max_age")),
    CheckType("range", _range, _sql_range),
    CheckType("pattern", _pattern, _sql_pattern, label=_label_columns("regex")),
    CheckType("expression", lambda arg: _sql_text(arg, "expression"), _sql_expression, label=_label_sql),
    CheckType("sql", lambda arg: _sql_text(arg, "sql"), _sql_query, label=_label_sql),
)}


def _keys(arg: Any, allowed: set[str], required: Sequence[str] = ()) -> None:
    if not isinstance(arg, Mapping):
        raise CheckDefinitionError(f"takes a mapping with {', '.join(sorted(allowed))}")
    unknown = sorted(set(arg) - allowed)
    if unknown:
        raise CheckDefinitionError(f"unknown key '{unknown[0]}' (valid: {', '.join(sorted(allowed))})")
    missing = [k for k in required if k not in arg]
    if missing:
        raise CheckDefinitionError(f"needs '{missing[0]}'")


def parse_check(raw: Any) -> Check:
    """One check declaration as a :class:`Check`; raise :class:`CheckDefinitionError` if invalid."""
    if isinstance(raw, str):
        raw = _from_call(raw)
    if not isinstance(raw, Mapping) or len([k for k in raw if k != "severity"]) != 1:
        raise CheckDefinitionError(f"a check is a mapping with one check type, like {{'not_null': 'id'}} (got {raw!r})")
    severity = raw.get("severity", "error")
    kind = next(k for k in raw if k != "severity")
    arg = raw[kind]
    if isinstance(arg, Mapping) and "severity" in arg:
        arg = dict(arg)
        severity = arg.pop("severity")
    if kind not in CHECK_TYPES:
        raise CheckDefinitionError(f"unknown check type '{kind}'.{did_you_mean(kind, CHECK_TYPES)} "
                                   f"Valid types: {', '.join(CHECK_TYPES)}")
    if severity not in ("error", "warn"):
        raise CheckDefinitionError(f"severity must be 'error' or 'warn' (got {severity!r})")
    try:
        columns, options = CHECK_TYPES[kind].parse(arg)
    except CheckDefinitionError as exc:
        raise CheckDefinitionError(f"check '{kind}' {exc}") from None
    return Check(kind, severity, columns, options, _name(kind, columns, options))


def parse_checks(raws: Sequence[Any]) -> tuple[Check, ...]:
    return tuple(parse_check(raw) for raw in raws)


def _name(kind: str, columns: tuple[str, ...], options: Mapping[str, Any]) -> str:
    return CHECK_TYPES[kind].label(kind, columns, options)


def _from_call(text: str) -> dict[str, Any]:
    """``not_null(id)``, ``unique(a, b)``, ``accepted_values(status, ['a', 'b'])``, ``range(x, 0, 10)``,
    ``expression('x > 0')``, with an optional ``severity='warn'`` keyword."""
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise CheckDefinitionError(f"cannot read the check {text!r}: write it like not_null(id)") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise CheckDefinitionError(f"cannot read the check {text!r}: write it like not_null(id)")
    args = [a.id if isinstance(a, ast.Name) else _literal(a, text) for a in call.args]
    kwargs = {k.arg: _literal(k.value, text) for k in call.keywords if k.arg}
    severity = kwargs.pop("severity", "error")
    kind = call.func.id
    positional = {
        "accepted_values": ("column", "values"), "relationships": ("column", "to", "field"),
        "range": ("column", "min", "max"), "pattern": ("column", "regex"), "freshness": ("column", "max_age"),
        "row_count": ("min", "max"), "expression": ("expression",), "sql": ("sql",),
    }.get(kind)
    if positional is None:  # not_null / unique / unknown: the arguments are columns
        return {kind: args if len(args) != 1 else args[0], "severity": severity}
    return {kind: {**dict(zip(positional, args, strict=False)), **kwargs}, "severity": severity}


def _literal(node: ast.expr, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise CheckDefinitionError(f"cannot read the check {text!r}: arguments must be names or literals") from None
