"""Typed request and response bodies; the OpenAPI document is generated from these.

Request bodies for ``plan`` and ``runs`` are built from the options dataclasses the CLI and the
magics use (``RunOptions``, ``PlanOptions``), so an API field cannot drift from a CLI flag.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from interlace.options import PlanOptions, RunOptions, flags_of
from interlace.server.api.limits import MAX_SELECTOR

__all__ = [
    "PlanRequest", "RunRequest", "options_model", "to_options",
]


# bounds the command line leaves to the engine but that a network request must respect
_BOUNDS: dict[str, dict[str, Any]] = {
    "select": {"max_length": 100}, "exclude": {"max_length": 100},
    "since": {"max_length": 100}, "until": {"max_length": 100},
    "max_workers": {"ge": 1, "le": 64},
}


def options_model(options: type, name: str) -> type[BaseModel]:
    """A pydantic body with one field per options field: same names, types, defaults and help."""
    hints = typing.get_type_hints(options)
    fields: dict[str, Any] = {}
    for f, (field_name, flag) in zip(dataclasses.fields(options), flags_of(options), strict=True):
        default = f.default if f.default is not dataclasses.MISSING else None
        annotation = hints[field_name]
        if typing.get_origin(annotation) is tuple:  # tuple[str, ...] travels as a JSON array
            annotation = list[Annotated[str, Field(max_length=MAX_SELECTOR)]]
            default = list(default or ())
        fields[field_name] = (annotation, Field(default=default, description=flag.help,
                                                **_BOUNDS.get(field_name, {})))
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=f"The fields of {options.__name__}.",
                        **fields)


def to_options(options: type, body: BaseModel) -> Any:
    values = body.model_dump()
    hints = typing.get_type_hints(options)
    return options(**{k: tuple(v) if typing.get_origin(hints[k]) is tuple else v for k, v in values.items()})


RunRequest = options_model(RunOptions, "RunRequest")
PlanRequest = options_model(PlanOptions, "PlanRequest")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- health, project ------------------------------------------------------------------------------
class Health(_Out):
    status: Literal["ok"]
    version: str
    config: Literal["ok", "error"] = Field(
        "ok", description="'error': a config edit does not load; the last good config stays in use "
        "(details: GET /api/v1/health)")
    breakers_open: list[str] = Field(default=[], description="connections whose circuit breaker is open")


class HealthDetail(_Out):
    status: Literal["ok", "degraded"]
    version: str
    env: str
    warehouse: bool = Field(description="the warehouse answers a query")
    project: bool = Field(description="the project's models load")
    project_error: str | None = None
    config_error: str | None = Field(
        None, description="a config edit that does not load (the last good config stays in use "
        "until it is fixed)")
    broken_models: dict[str, str] = Field(default_factory=dict,
                                          description="models whose file does not load, with why")
    active_runs: list[str]
    breakers: list[dict[str, Any]] = Field(default=[], description="circuit breakers that are not closed")


class ProjectOut(_Out):
    name: str
    project_dir: str
    env: str
    config_files: list[str]
    models_paths: list[str]
    connections: list[str]
    default_connection: str
    default_schema: str


class LastRun(_Out):
    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None


class InfoOut(_Out):
    name: str
    project_dir: str
    env: str
    config_files: list[str]
    warehouse: str
    models: int
    models_by_kind: dict[str, int]
    model_names: list[str]
    engines: dict[str, int] = {}  # "connection (type)" -> models that run there (interlace.backends)
    last_run: LastRun | None = None


# -- models ---------------------------------------------------------------------------------------
class Column(_Out):
    name: str
    type: str


class ModelSummary(_Out):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    name: str
    kind: str
    materialize: str
    strategy: str
    schema_: str = Field(alias="schema", description="the schema the model's table or view lives in")
    relation: str
    tags: list[str]
    description: str | None = None
    owner: str | None = None
    origin: str
    last_success_at: datetime | None = None
    last_run_id: str | None = None


class ModelList(_Out):
    total: int
    models: list[ModelSummary]


class ModelDetail(ModelSummary):
    upstream: list[str]
    downstream: list[str]
    sources: list[str] = Field(description="relations read that are not models")
    dependencies: list[str] = Field(description="references as written or declared")
    primary_key: list[str]
    schema_mode: str
    config: dict[str, Any]
    source: str = Field(description="the SQL body or Python function source")
    columns: list[Column]


class ColumnsOut(_Out):
    model: str
    built: bool
    columns: list[Column]


class SchemaVersionOut(_Out):
    version: int
    recorded_at: datetime
    run_id: str | None = None
    columns: list[Column]
    changes: dict[str, Any]


class SchemaHistoryOut(_Out):
    model: str
    versions: list[SchemaVersionOut]


class PreviewOut(_Out):
    model: str
    limit: int
    columns: list[Column]
    rows: list[dict[str, Any]]


# -- runs -----------------------------------------------------------------------------------------
class ModelRunOut(_Out):
    run_id: str
    model: str
    status: str
    action: str | None = None
    reason: str | None = None
    relation: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    rows_affected: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    error: str | None = None
    skip_reason: str | None = None


class ModelRunList(_Out):
    model_runs: list[ModelRunOut]


class RunOut(_Out):
    run_id: str
    status: str = Field(description="queued | running | success | failed | cancelled | interrupted")
    active: bool = Field(description="the run is executing in this server now")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    env: str | None = None
    selector: str | None = None
    trigger: str | None = None
    models_total: int | None = None
    models_succeeded: int | None = None
    models_failed: int | None = None
    models_skipped: int | None = None
    error: str | None = None


class RunList(_Out):
    runs: list[RunOut]


class RunDetail(RunOut):
    model_runs: list[ModelRunOut]


class StepOut(_Out):
    model: str
    action: str = Field(description="build | skip | inline | check | error | blocked")
    reason: str
    upstream: list[str] = Field(description="the models it reads")
    waits_for: list[str] = Field(default_factory=list, description="the models built in the same run before it")


class ColumnChangeOut(BaseModel):
    column: str
    kind: str
    old_type: str | None = None
    new_type: str | None = None


class BreakingChangeOut(BaseModel):
    column: str
    kind: str
    read_by: list[str]


class SchemaPreviewOut(BaseModel):
    """How a model's columns would change if built now (``plan --diff``)."""

    model: str
    note: str = ""
    changes: list[ColumnChangeOut]
    breaking: list[BreakingChangeOut]


class PlanOut(_Out):
    steps: list[StepOut]
    selected: list[str]
    builds: int
    explain: str
    diff: list[SchemaPreviewOut] | None = Field(default=None, description="with diff=true: column changes")


class RunStarted(_Out):
    run_id: str
    status: Literal["queued", "running"] = Field(description="accepted: queued until it starts")
    plan: PlanOut


class RunCancelled(_Out):
    run_id: str
    status: Literal["cancelling"]


# -- graph ----------------------------------------------------------------------------------------
class GraphNode(_Out):
    name: str
    kind: str
    materialize: str
    tags: list[str]
    sources: list[str]


class GraphEdge(_Out):
    source: str = Field(description="the upstream model")
    target: str = Field(description="the model that reads it")


class GraphOut(_Out):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    order: list[str]


class Problem(_Out):
    code: str
    message: str
    model: str | None = None
    origin: str | None = None
    hint: str | None = None
    details: str | None = None


class GraphValidation(_Out):
    valid: bool
    models: int
    problems: list[Problem]


# -- keys -----------------------------------------------------------------------------------------
class KeyCreate(_Out):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    scope: Literal["read", "run", "admin"] = "read"


class KeyOut(_Out):
    name: str
    key_id: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None = None
    confirmed: bool = Field(default=True, description="false: stored but never shown (creation interrupted); "
                                                      "it does not authenticate")


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown this once, only its hash is stored")


class KeyList(_Out):
    keys: list[KeyOut]


class QualityResultOut(_Out):
    run_id: str
    model: str
    check_name: str
    check_type: str
    severity: str = Field(description="error | warn")
    status: str = Field(description="pass | fail | error")
    failing: int
    duration_ms: float | None = None
    sql: str | None = Field(default=None, description="a query that shows the failing rows")
    samples: list[dict[str, Any]] = Field(description="up to 10 failing rows")
    message: str | None = None
    checked_at: datetime


class QualityResultList(_Out):
    results: list[QualityResultOut]


class LineageEdgeOut(_Out):
    model: str
    column: str | None = Field(description="the output column; null for a read that shapes the whole result")
    source: str = Field(description="the model, table or file read")
    source_column: str
    kind: str = Field(description="value | filter | join | group")


class LineageEdgeList(_Out):
    edges: list[LineageEdgeOut]


class LineageNodeOut(_Out):
    relation: str
    column: str
    kind: str
    children: list[LineageNodeOut]


class LineageOut(_Out):
    model: str
    direction: Literal["upstream", "downstream"]
    trees: list[LineageNodeOut]
