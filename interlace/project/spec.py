"""``ModelSpec``: one model's definition, built through one validating constructor.

The ``@model`` decorator, the SQL header parser, the notebook reader and the magics all call
:func:`make_spec`, so a keyword means the same thing (and is checked the same way) everywhere.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from interlace import kinds
from interlace.errors import InterlaceWarning, ModelDefinitionError, did_you_mean
from interlace.origin import Origin

__all__ = [
    "KEYWORDS",
    "ModelConfig",
    "ModelSpec",
    "Origin",
    "make_spec",
]

SCHEMA_MODES = ("strict", "safe", "flexible", "lenient", "ignore")
DELETE_MODES = ("preserve", "hard", "soft")
EXPORT_FORMATS = ("parquet", "csv", "json")
ALIASES = {"materialise": "materialize", "scd": "scd2", "engine": "connection"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\d+[smhdw]$")
# Keywords that are recorded and validated today but that no part of the run acts on yet.
NOT_YET_ACTED_ON: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """The validated keywords of a model (every one of SPEC §3.1 except name and dependencies)."""

    materialize: str = "table"
    strategy: str = "replace"
    schema: str | None = None
    connection: str | None = None
    primary_key: tuple[str, ...] = ()
    cursor: str | None = None
    fields: Mapping[str, str] | None = None
    strict: bool = False
    column_mapping: Mapping[str, str] | None = None
    schema_mode: str = "safe"
    quality_checks: tuple[Any, ...] = ()
    cache: Mapping[str, Any] | None = None
    schedule: Mapping[str, Any] | None = None
    retry_policy: Mapping[str, Any] | None = None
    export: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    columns: Mapping[str, str] | None = None  # column -> description (documentation only)
    owner: str | None = None
    delete_mode: str = "preserve"
    scd2: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model: what it is called, where it came from, what it runs and how it is written."""

    name: str
    kind: Literal["sql", "python"]
    origin: Origin
    config: ModelConfig
    sql: str | None = None
    func: Callable[..., Any] | None = field(default=None, compare=False)
    source: str = ""  # the text the user wrote (SQL body or Python function source)
    declared_dependencies: tuple[str, ...] | None = None  # explicit dependencies=
    inferred_dependencies: tuple[str, ...] = ()  # from SQL / function parameters
    file_inputs: tuple[str, ...] | None = None  # local files the SQL reads; None = unknown/external
    normalized: str = ""  # the definition without formatting and comments (fingerprints)
    explicit: frozenset[str] = frozenset()  # keywords the user actually wrote

    @property
    def dependencies(self) -> tuple[str, ...]:
        return self.declared_dependencies if self.declared_dependencies is not None else self.inferred_dependencies

    @property
    def materialize(self) -> str:
        return self.config.materialize

    @property
    def strategy(self) -> str:
        return self.config.strategy

    @property
    def tags(self) -> tuple[str, ...]:
        return self.config.tags


# --- keyword validators: each takes the raw value and returns the normalized one or raises ValueError

def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(repr(a) for a in allowed)} (got {value!r})")
        return str(value)
    return check


def _registered(table: Mapping[str, Any]) -> Callable[[Any], str]:
    """A name from a registry (read when validating, so a strategy registered later is known)."""
    def check(value: Any) -> str:
        return _choice(*table)(value)
    return check


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise ValueError(
            f"must be a name of letters, digits and underscores, not starting with a digit (got {value!r})"
        )
    return value


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _names(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) and v for v in items):
        raise ValueError(f"must be a string or a list of strings (got {value!r})")
    return tuple(items)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string (got {value!r})")
    return value


def _column_descriptions(value: Any) -> dict[str, str]:
    """``{column: description}``; a column name is any non-empty string (columns may be quoted)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a mapping of column names to descriptions (got {value!r})")
    for column, text in value.items():
        if not isinstance(column, str) or not column.strip():
            raise ValueError(f"has a column name that is not a non-empty string: {column!r}")
        if not isinstance(text, str):
            raise ValueError(f"gives column {column!r} a description that is not a string: {text!r}")
    return {column: text.strip() for column, text in value.items()}


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be True or False (got {value!r})")
    return value


def _str_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"must be a mapping of strings to strings (got {value!r})")
    return dict(value)


def _mapping_with(allowed: dict[str, Callable[[Any], Any]], required: tuple[str, ...] = ()) -> Callable[[Any], dict[str, Any]]:
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping with keys {', '.join(allowed)} (got {value!r})")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in allowed:
                raise ValueError(f"unknown key {key!r}; valid keys: {', '.join(allowed)}")
            try:
                out[key] = allowed[key](item)
            except ValueError as exc:
                raise ValueError(f"key {key!r} {exc}") from None
        missing = [k for k in required if k not in out]
        if missing:
            raise ValueError(f"needs the key(s) {', '.join(repr(k) for k in missing)}")
        return out
    return check


def _duration(value: Any) -> str:
    if not isinstance(value, str) or not _DURATION.match(value):
        raise ValueError(f"must be a duration like '30s', '15m', '6h', '7d' or '2w' (got {value!r})")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"must be a non-negative number (got {value!r})")
    return float(value)


def _checks(value: Any) -> tuple[Any, ...]:
    from interlace.quality.checks import parse_checks

    return parse_checks(value if isinstance(value, list | tuple) else [value])


def _schedule(value: Any) -> dict[str, Any]:
    from interlace.schedules import timing_of

    out = _mapping_with({"cron": _text, "every": _text, "timezone": _text})(value)
    timing_of(out)  # a bad cron, time zone or interval is an error where the model is declared
    return out


def _retry_policy(value: Any) -> dict[str, Any]:
    from interlace.retry import policy_of

    out = _mapping_with({
        "max_attempts": _number, "initial_delay": _number, "max_delay": _number,
        "backoff": _number, "jitter": _boolean, "retry_on": _names,
    })(value)
    try:
        policy_of(out)  # max_attempts < 1, max_delay < initial_delay, ...: an error where declared
    except ValueError as exc:
        raise ValueError(f"is invalid: {exc}") from None
    return out


KEYWORDS: dict[str, Callable[[Any], Any]] = {
    "name": _identifier,
    "schema": _optional(_identifier),
    "connection": _optional(_text),
    "materialize": _registered(kinds.MATERIALIZATIONS),
    "strategy": _registered(kinds.STRATEGIES),
    "primary_key": _names,
    "dependencies": _names,
    "cursor": _optional(_text),
    "fields": _optional(_str_mapping),
    "strict": _boolean,
    "column_mapping": _optional(_str_mapping),
    "schema_mode": _choice(*SCHEMA_MODES),
    "quality_checks": _checks,
    "cache": _optional(_mapping_with({"ttl": _duration}, required=("ttl",))),
    "schedule": _optional(_schedule),
    "retry_policy": _optional(_retry_policy),
    "export": _optional(_mapping_with(
        {"format": _choice(*EXPORT_FORMATS), "path": _text, "partition_by": _names},
        required=("format", "path"))),
    "tags": _names,
    "description": _optional(_text),
    "columns": _optional(_column_descriptions),
    "owner": _optional(_text),
    "delete_mode": _choice(*DELETE_MODES),
    "scd2": _optional(_mapping_with({
        "tracked_columns": _names, "delete_mode": _choice("ignore", "close"), "updated_at": _text,
    })),
}


def make_spec(
    *,
    kind: Literal["sql", "python"],
    origin: Origin,
    keywords: Mapping[str, Any],
    default_name: str,
    declared_by: str,
    sql: str | None = None,
    func: Callable[..., Any] | None = None,
    source: str = "",
    inferred_dependencies: tuple[str, ...] = (),
    file_inputs: tuple[str, ...] | None = None,
    normalized: str = "",
) -> ModelSpec:
    """Validate ``keywords`` and build the spec; every error names the model and where it was declared.

    ``declared_by`` says how the model was declared (``@model``, ``-- @model header``) for messages.
    """
    values: dict[str, Any] = {}
    name = keywords.get("name", default_name)
    for raw_key, raw_value in keywords.items():
        key = ALIASES.get(raw_key, raw_key)
        if key not in KEYWORDS:
            raise ModelDefinitionError(
                f"unknown keyword '{raw_key}' in {declared_by}.{did_you_mean(raw_key, KEYWORDS)}",
                model=str(name), origin=str(origin),
                hint=f"use one of: {', '.join(KEYWORDS)}",
            )
        if key in values:
            raise ModelDefinitionError(
                f"keyword '{key}' is given twice (once as '{raw_key}')",
                model=str(name), origin=str(origin), hint=f"keep one '{key}='",
            )
        try:
            values[key] = KEYWORDS[key](raw_value)
        except ValueError as exc:
            raise ModelDefinitionError(
                f"keyword '{raw_key}' {exc}", model=str(name), origin=str(origin),
                hint=f"correct '{raw_key}=' in {declared_by}",
            ) from None
    name = _identifier_or_error(values.pop("name", default_name), origin)
    declared = values.pop("dependencies", None)
    if "description" not in values and func is not None and func.__doc__:
        values["description"] = func.__doc__.strip()
    config = ModelConfig(**values)
    _check_combination(name, origin, config, set(values))
    unused = sorted(NOT_YET_ACTED_ON & set(values))
    if unused:
        warnings.warn(
            f"model '{name}' ({origin}): {', '.join(unused)} "
            f"{'is' if len(unused) == 1 else 'are'} validated and stored but not acted on by this "
            "version of interlace yet",
            InterlaceWarning,
            stacklevel=3,
        )
    return ModelSpec(
        name=name, kind=kind, origin=origin, config=config, sql=sql, func=func, source=source,
        declared_dependencies=declared, inferred_dependencies=inferred_dependencies,
        file_inputs=file_inputs, explicit=frozenset(values), normalized=normalized,
    )


def _identifier_or_error(name: Any, origin: Origin) -> str:
    try:
        return _identifier(name)
    except ValueError as exc:
        raise ModelDefinitionError(f"model name {exc}", origin=str(origin),
                                   hint="rename the model (name=...)") from None


def _check_combination(name: str, origin: Origin, config: ModelConfig, given: set[str]) -> None:
    strategy = kinds.strategy_of(config.strategy)
    materialization = kinds.materialization_of(config.materialize)
    if strategy.needs_key and not config.primary_key:
        raise ModelDefinitionError(
            f"strategy '{config.strategy}' needs a primary_key",
            model=name, origin=str(origin),
            hint="add primary_key='id' (or a list of columns) to the model",
        )
    if config.quality_checks and not materialization.persisted:
        raise ModelDefinitionError(
            f"quality_checks need a table or view to check; this model is {config.materialize}",
            model=name, origin=str(origin),
            hint="declare the checks on a model that reads this one, or make it materialize='table'",
        )
    if config.cursor and not strategy.takes_cursor:
        takes = [f"'{s.name}'" for s in kinds.STRATEGIES.values() if s.takes_cursor]
        raise ModelDefinitionError(
            f"cursor='{config.cursor}' needs strategy {', '.join(takes[:-1])} or {takes[-1]} "
            f"(with '{config.strategy}', each run would keep only the new rows)",
            model=name, origin=str(origin),
            hint="add strategy='append' (or 'merge_by_key' with a primary_key), or remove cursor=",
        )
    if "strategy" in given and not materialization.takes_strategy and config.strategy != "replace":
        raise ModelDefinitionError(
            f"strategy '{config.strategy}' needs materialize='table' (this model is '{config.materialize}')",
            model=name, origin=str(origin),
            hint="use materialize='table', or drop the strategy keyword",
        )
