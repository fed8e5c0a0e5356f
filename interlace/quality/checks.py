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

__all__ = ["CHECK_TYPES", "Check", "CheckDefinitionError", "parse_check", "parse_checks"]

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


CHECK_TYPES: dict[str, Callable[[Any], tuple[tuple[str, ...], dict[str, Any]]]] = {
    "not_null": _not_null,
    "unique": _unique,
    "accepted_values": _accepted_values,
    "relationships": _relationships,
    "row_count": _row_count,
    "freshness": _freshness,
    "range": _range,
    "pattern": _pattern,
    "expression": lambda arg: _sql_text(arg, "expression"),
    "sql": lambda arg: _sql_text(arg, "sql"),
}


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
        columns, options = CHECK_TYPES[kind](arg)
    except CheckDefinitionError as exc:
        raise CheckDefinitionError(f"check '{kind}' {exc}") from None
    return Check(kind, severity, columns, options, _name(kind, columns, options))


def parse_checks(raws: Sequence[Any]) -> tuple[Check, ...]:
    return tuple(parse_check(raw) for raw in raws)


def _name(kind: str, columns: tuple[str, ...], options: Mapping[str, Any]) -> str:
    if kind in ("expression", "sql"):
        text = " ".join(str(options[kind]).split())
        return f"{kind}({text if len(text) <= 60 else text[:57] + '...'})"
    if kind == "relationships":
        return f"relationships({columns[0]} -> {options['to']}.{options['field']})"
    if kind == "row_count":
        return "row_count(" + ", ".join(f"{k}={v:g}" for k, v in options.items()) + ")"
    extra = {"freshness": options.get("max_age"), "pattern": options.get("regex")}.get(kind)
    return f"{kind}({', '.join(columns)}{', ' + str(extra) if extra else ''})"


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
