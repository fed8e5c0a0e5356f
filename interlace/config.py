"""Load a project's configuration: ``config.yaml``, then ``config.{env}.yaml`` deep-merged over it.

Strings may use ``${VAR}``, ``${VAR:-default}`` and ``{env}``. Each file is validated on its own
(so an error names the file that holds the bad key) and then the merged result is validated again.
Without any ``config.yaml`` the embedded default applies: one DuckDB file, ``.interlace/dev.duckdb``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interlace.errors import ConfigError
from interlace.streams.config import StreamConfig

if TYPE_CHECKING:
    from interlace.maintenance import LakeTask

__all__ = [
    "AttachConfig", "AuthConfig", "Config", "ConnectionConfig", "CorsConfig", "LoadedConfig", "LoggingConfig",
    "ObservabilityConfig", "OtelConfig", "RateLimitConfig", "RunConfig", "ScheduleConfig", "SchedulerConfig",
    "ServiceConfig", "ServiceKeyConfig", "load_config",
]

DEFAULT_ENV = "dev"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ConnectionType = Literal["duckdb", "sqlite", "postgres", "mysql", "ducklake", "pyspark", "ibis"]
_NEEDS_DSN = ("postgres", "mysql")
# engines that run models themselves (interlace.backends), rather than catalogs DuckDB attaches
ENGINE_TYPES = ("pyspark", "ibis")
_SPARK_MASTER = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|(spark|k8s|mesos)://\S+|yarn)$")


Metadata = Literal["duckdb", "sqlite", "postgres"]  # where a DuckLake keeps its catalog


def _check_location(kind: str, path: str | None, dsn: str | None, metadata: str = "duckdb",
                    data_path: str | None = None) -> None:
    if kind == "ducklake" and metadata == "postgres":
        if not dsn:
            raise ValueError("type ducklake with metadata: postgres needs dsn: (the catalog database, "
                             "such as 'host=... dbname=...')")
        if not data_path:
            raise ValueError("type ducklake with metadata: postgres needs data_path: (where the "
                             "Parquet files go, shared by every process that writes the lake)")
        return
    if kind in _NEEDS_DSN and not dsn:
        raise ValueError(f"type {kind} needs dsn: (a connection string such as 'host=... dbname=...')")
    if kind not in _NEEDS_DSN and dsn:
        raise ValueError(f"type {kind} is a file: give path:, not dsn:")


def _check_engine(conn: ConnectionConfig) -> None:
    """A ``pyspark`` or ``ibis`` connection: only its own keys, each well formed."""
    given = conn.model_fields_set
    own = {"pyspark": {"master", "app_name", "conf", "warehouse"}, "ibis": {"backend", "config"}}
    common = {"type", "access", "shared"}
    stray = sorted(given - own[conn.type] - common)
    if stray:
        raise ValueError(f"type {conn.type} takes {', '.join(sorted(own[conn.type]))}; "
                         f"{', '.join(stray)} {'does' if len(stray) == 1 else 'do'} not apply to it")
    if conn.type == "pyspark" and not _SPARK_MASTER.match(conn.master):
        raise ValueError(f"master {conn.master!r} is not a Spark master URL: use local[N], local[*], "
                         "spark://host:port, k8s://... or yarn")
    if conn.type == "ibis" and not conn.backend:
        raise ValueError("type ibis needs backend: (an ibis backend name such as duckdb, sqlite or "
                         "pyspark) and its connect() arguments under config:")


class AttachConfig(_Strict):
    """Another database attached under ``name``; models reference it as ``name.schema.table``.

    ``duckdb`` and ``sqlite`` are files (``path``); ``postgres`` and ``mysql`` servers (``dsn``);
    ``ducklake`` a catalog (``metadata``: a DuckDB or SQLite file at ``path``, or a PostgreSQL
    database at ``dsn``) with data files under ``data_path``.
    """

    name: str
    type: ConnectionType = "duckdb"
    path: str | None = None
    dsn: str | None = None
    data_path: str | None = None
    metadata: Metadata = "duckdb"
    read_only: bool = True

    @model_validator(mode="after")
    def _location(self) -> AttachConfig:
        _check_location(self.type, self.path, self.dsn, self.metadata, self.data_path)
        if self.type not in _NEEDS_DSN and not self.dsn and not self.path:
            raise ValueError(f"type {self.type} needs path:")
        return self


class ConnectionConfig(_Strict):
    """A connection: the warehouse (a DuckDB file) or another catalog models may be written to.

    ``access: read`` opens it read-only (writes fail clearly); ``shared: true`` says it is the
    same in every environment (an overlay may not change it and its path may not use ``{env}``).
    As the default connection, a ``ducklake`` warehouse holds the models' tables while the run
    state stays in the DuckDB file ``state_path`` (one per process that runs models).
    """

    type: ConnectionType = "duckdb"
    path: str = ".interlace/{env}.duckdb"
    dsn: str | None = None
    data_path: str | None = None
    metadata: Metadata = "duckdb"
    state_path: str = ".interlace/{env}.state.duckdb"  # type ducklake: the run state's DuckDB file
    # type pyspark: the Spark master, application name, Spark settings and table directory
    # (default .interlace/spark/{env}); type ibis: the ibis backend and its connect() arguments
    master: str = "local[*]"
    app_name: str = "interlace"
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)
    warehouse: str | None = None
    backend: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    access: Literal["read", "write"] = "write"
    shared: bool = False
    attach: list[AttachConfig] = Field(default_factory=list)
    settings: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _location(self) -> ConnectionConfig:
        if self.type in ENGINE_TYPES:
            _check_engine(self)
            return self
        _check_location(self.type, self.path, self.dsn, self.metadata, self.data_path)
        return self

    def as_attachment(self, name: str, path: str) -> AttachConfig:
        """This connection attached to the warehouse under ``name`` (``path`` resolved)."""
        return AttachConfig(name=name, type=self.type, path=None if self.dsn else path, dsn=self.dsn,
                            data_path=self.data_path, metadata=self.metadata, read_only=self.access == "read")


class RunConfig(_Strict):
    max_workers: int | None = Field(default=None, ge=1)
    default_schema: str = "main"
    # a second run asked for while one is going: refused (reject) or run after it (queue)
    policy: Literal["reject", "queue"] = "reject"


class ServiceKeyConfig(_Strict):
    """An API key given through an environment variable (the key itself never sits in the file)."""

    name: str = Field(min_length=1)
    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    scope: Literal["read", "run", "admin"] = "read"


class AuthConfig(_Strict):
    """``service.auth``: API keys are required everywhere except the whitelisted paths."""

    enabled: bool = True
    keys: list[ServiceKeyConfig] = Field(default_factory=list)
    whitelist: list[str] = Field(default_factory=lambda: ["/health"])
    session_hours: float = Field(default=12.0, gt=0)  # dashboard login cookie lifetime


class RateLimitConfig(_Strict):
    """``service.rate_limit``: a token bucket per API key (``rate`` per second, up to ``burst``)."""

    enabled: bool = True
    rate: float = Field(default=50.0, gt=0)
    burst: int = Field(default=200, ge=1)
    # failed authentications (bad keys, bad logins) per client address, whether or not enabled
    failed_auth_rate: float = Field(default=1.0, gt=0)
    failed_auth_burst: int = Field(default=30, ge=1)


class CorsConfig(_Strict):
    """``service.cors``: browser origins allowed to call the API; explicit origins only."""

    origins: list[str] = Field(default_factory=list)

    @field_validator("origins")
    @classmethod
    def _explicit(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin == "*" or not re.match(r"^https?://[^/*\s]+$", origin):
                raise ValueError(
                    f"{origin!r} is not an explicit origin: give scheme://host[:port] such as "
                    "'https://dashboard.example.com' (wildcards are not allowed)")
        return origins


class ServiceConfig(_Strict):
    """``service:``: what ``interlace serve`` listens on and how it guards the API."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Host header values answered besides the listen address, localhost and 127.0.0.1 (e.g. the
    # name a proxy forwards); required to bind 0.0.0.0 safely
    trusted_hosts: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)  # larger request bodies get 413
    auth: AuthConfig = Field(default_factory=AuthConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    cors: CorsConfig = Field(default_factory=CorsConfig)


class QualityConfig(_Strict):
    """``quality:``: checks for every table/view model (``defaults``) and per model (``models``).

    Checks are written as in ``@model(quality_checks=...)``; they are validated when the project
    loads, where the models they name are known.
    """

    defaults: list[Any] = Field(default_factory=list)
    models: dict[str, list[Any]] = Field(default_factory=dict)


class RetryPolicyConfig(_Strict):
    """``retry_policy:`` (every model's default), ``scheduler.retry_policy`` (every schedule's) or
    ``schedules.<name>.retry_policy``: see :class:`interlace.retry.RetryPolicy`."""

    max_attempts: int = Field(default=3, ge=1)
    initial_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=300.0, ge=0)
    backoff: float = Field(default=2.0, ge=1)
    jitter: bool = True
    retry_on: list[str] = Field(default_factory=list)

    def policy(self) -> Any:
        from interlace.retry import policy_of

        try:
            return policy_of(self.model_dump())
        except ValueError as exc:
            raise ValueError(f"retry_policy: {exc}") from None

    @model_validator(mode="after")
    def _valid(self) -> RetryPolicyConfig:
        self.policy()
        return self


class BreakerConfig(_Strict):
    """``circuit_breaker:``: a connection whose models fail ``failure_threshold`` times in a row
    (on errors of the classes in ``trips_on``) is opened: its models fail at once, without running,
    until ``cooldown`` has passed; then one model may try (half-open) and its outcome closes or
    reopens the breaker."""

    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1)
    cooldown: str = "60s"
    trips_on: list[str] = Field(default_factory=lambda: [
        "IOException", "HTTPException", "ConnectionException", "OSError", "TimeoutError"])

    @field_validator("cooldown")
    @classmethod
    def _cooldown(cls, value: str) -> str:
        from interlace.schedules import parse_duration

        parse_duration(value)
        return value


class WebhookConfig(_Strict):
    """``notifications.webhook``: POST a JSON body on each failed scheduled fire, signed with
    HMAC-SHA256 of the body under the secret read from the environment variable ``secret_env``
    (header ``X-Interlace-Signature: sha256=<hex>``)."""

    url: str = Field(pattern=r"^https?://\S+$")
    secret_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    initial_delay: float = Field(default=1.0, ge=0)
    link: str | None = None  # base URL of the dashboard, for the body's link (default: service host)


class NotificationsConfig(_Strict):
    webhook: WebhookConfig | None = None


class SchedulerConfig(_Strict):
    """``scheduler:``: how `interlace serve` / `interlace scheduler` fire schedules."""

    enabled: bool = True
    # a tick missed while no scheduler ran is run once on start if it is at most this late
    misfire_grace: str = "5m"
    poll_interval: float = Field(default=1.0, gt=0, le=60)  # seconds between scheduler ticks
    retry_policy: RetryPolicyConfig | None = None  # default for every schedule

    @field_validator("misfire_grace")
    @classmethod
    def _grace(cls, value: str) -> str:
        from interlace.schedules import parse_duration

        parse_duration(value)
        return value


class LakeTaskConfig(_Strict):
    """``schedules.<name>.lake``: DuckLake maintenance (``lake: checkpoint`` is short for
    ``{checkpoint: true}``); ``expire_older_than`` is an age such as ``7d``."""

    checkpoint: bool = False
    expire_older_than: str | None = None

    @model_validator(mode="after")
    def _something(self) -> LakeTaskConfig:
        if not self.checkpoint and self.expire_older_than is None:
            raise ValueError("says to do nothing: set 'checkpoint: true' and/or "
                             "'expire_older_than' (an age such as 7d)")
        if self.expire_older_than is not None:
            from interlace.schedules import parse_duration

            parse_duration(self.expire_older_than)
        return self

    def task(self) -> LakeTask:
        from interlace.maintenance import LakeTask
        from interlace.schedules import parse_duration

        age = self.expire_older_than
        return LakeTask(self.checkpoint, None if age is None else parse_duration(age))


class ScheduleConfig(_Strict):
    """One entry of ``schedules:``: a notebook (with parameters), a selector of models, or lake
    maintenance, and when."""

    notebook: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)  # seconds for the whole notebook
    selector: str | list[str] | None = None
    lake: LakeTaskConfig | None = None
    cron: str | None = None
    every: str | int | float | None = None
    timezone: str | None = None
    misfire_grace: str | None = None
    retry_policy: RetryPolicyConfig | None = None
    overlap: Literal["skip", "queue"] = "skip"  # a tick due while max_concurrency fires run
    max_concurrency: int = Field(default=1, ge=1)  # fires of this schedule in flight at once

    @field_validator("lake", mode="before")
    @classmethod
    def _lake_shorthand(cls, value: Any) -> Any:
        return {"checkpoint": True} if value == "checkpoint" else value

    @model_validator(mode="after")
    def _one_target(self) -> ScheduleConfig:
        if sum(target is not None for target in (self.notebook, self.selector, self.lake)) != 1:
            raise ValueError("give exactly one of 'notebook' (a .ipynb path), 'selector' (models to "
                             "run) or 'lake' (maintenance: checkpoint, expire_older_than)")
        if self.notebook is None and (self.parameters or self.timeout is not None):
            raise ValueError("'parameters' and 'timeout' apply to a 'notebook' schedule only")
        from interlace.schedules import parse_duration, timing_of

        timing_of({k: v for k, v in (("cron", self.cron), ("every", self.every), ("timezone", self.timezone))
                   if v is not None})
        if self.misfire_grace is not None:
            parse_duration(self.misfire_grace)
        return self


class LoggingConfig(_Strict):
    """``logging:``: how interlace's log lines look (``text`` or one JSON object per line) and from
    which level they are written. Without this section interlace leaves Python logging alone."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, level: Any) -> Any:
        return level.upper() if isinstance(level, str) else level


class OtelConfig(_Strict):
    """``observability.otel``: export a span per run and per model over OTLP/HTTP.

    ``endpoint`` is the collector's traces URL (e.g. ``http://localhost:4318/v1/traces``); without
    it the standard ``OTEL_EXPORTER_OTLP_*`` environment variables apply.
    """

    endpoint: str | None = Field(default=None, pattern=r"^https?://\S+$")
    service_name: str = Field(default="interlace", min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)


class ObservabilityConfig(_Strict):
    otel: OtelConfig | None = None


class Config(_Strict):
    name: str | None = None
    connections: dict[str, ConnectionConfig] = Field(
        default_factory=lambda: {"default": ConnectionConfig()}
    )
    default_connection: str = "default"
    engine: str | None = None  # the connection models run on unless they name one (connection=)
    models_paths: list[str] = Field(default_factory=lambda: ["models"])
    quality: QualityConfig = Field(default_factory=QualityConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    logging: LoggingConfig | None = None
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    streams: dict[str, StreamConfig] = Field(default_factory=dict)
    retry_policy: RetryPolicyConfig | None = None  # default for every model without its own
    circuit_breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: Config
    env: str
    files: tuple[Path, ...]  # the files that were read, in overlay order; empty = embedded default

    @property
    def default_connection(self) -> ConnectionConfig:
        return self.config.connections[self.config.default_connection]

    def database_path(self, project_dir: Path, connection: ConnectionConfig) -> Path | None:
        """Where a connection's DuckDB file lives (None for ``:memory:``)."""
        return self._resolve(project_dir, connection.path)

    def warehouse_path(self, project_dir: Path) -> Path | None:
        """The DuckDB file the workspace opens: the default connection's file, or for a DuckLake
        warehouse the file that holds the run state (``state_path``)."""
        main = self.default_connection
        return self._resolve(project_dir, main.state_path if main.type == "ducklake" else main.path)

    def _resolve(self, project_dir: Path, raw: str) -> Path | None:
        raw = raw.replace("{env}", self.env)
        if raw == ":memory:":
            return None
        path = Path(raw).expanduser()
        return path if path.is_absolute() else project_dir / path


def load_config(project_dir: Path, env: str | None = None) -> LoadedConfig:
    """Read, overlay, substitute and validate the configuration of ``project_dir``.

    >>> load_config(Path("/nonexistent-project")).config.connections["default"].path
    '.interlace/dev.duckdb'
    """
    env = env or os.environ.get("INTERLACE_ENV") or DEFAULT_ENV
    merged: dict[str, Any] = {}
    files: list[Path] = []
    for path in (project_dir / "config.yaml", project_dir / f"config.{env}.yaml"):
        if not path.is_file():
            continue
        raw = _read_yaml(path)
        _check_shared(raw, merged, path)
        raw = _substitute(raw, env=env, file=path, key="")
        _validate(raw, path)
        merged = _deep_merge(merged, raw)
        files.append(path)
    if (project_dir / f"config.{env}.yaml").is_file() and not (project_dir / "config.yaml").is_file():
        raise ConfigError(
            f"config.{env}.yaml exists but config.yaml does not",
            origin=str(project_dir),
            hint=f"create config.yaml (it may be empty) — config.{env}.yaml is an overlay on it",
        )
    if not files:
        merged = {}
    config = _validate(merged, files[-1] if files else project_dir / "config.yaml")
    if (config.default_connection == "default" and "default" not in config.connections
            and config.connections and all(c.type in ENGINE_TYPES for c in config.connections.values())):
        # only engines declared: the run state stays in the embedded default DuckDB warehouse
        config = config.model_copy(update={"connections": {"default": ConnectionConfig(),
                                                           **config.connections}})
    if config.default_connection not in config.connections:
        raise ConfigError(
            f"default_connection '{config.default_connection}' is not one of the connections "
            f"({', '.join(sorted(config.connections)) or 'none'})",
            origin=str(files[-1] if files else project_dir),
            hint="name one of the entries under 'connections:'",
        )
    _check_engine_key(config, files[-1] if files else project_dir)
    main = config.connections[config.default_connection]
    if main.type not in ("duckdb", "ducklake"):
        raise ConfigError(
            f"the default connection '{config.default_connection}' is type {main.type}; the warehouse "
            "(where models and state are kept) must be a DuckDB file or a DuckLake",
            origin=str(files[-1]), hint=f"make '{config.default_connection}' type duckdb and attach the "
            f"{main.type} database as another connection (models write to it with connection=)"
            if main.type not in ENGINE_TYPES else f"keep a duckdb default connection (it holds the run "
            f"state) and run the models on '{config.default_connection}' with engine: "
            f"{config.default_connection} (or connection= per model)",
        )
    return LoadedConfig(config=config, env=env, files=tuple(files))


def _check_engine_key(config: Config, origin: Path) -> None:
    if config.engine is None or config.engine == config.default_connection:
        return
    conn = config.connections.get(config.engine)
    if conn is None or conn.type not in ENGINE_TYPES:
        engines = sorted(n for n, c in config.connections.items() if c.type in ENGINE_TYPES)
        raise ConfigError(
            f"engine: {config.engine} is not " + ("a connection" if conn is None else
                                                  f"an engine (it is type {conn.type})"),
            origin=f"{origin}: engine", hint="name a connection of type pyspark or ibis"
            + (f" ({', '.join(engines)})" if engines else ", declared under connections:"))


MAX_YAML_DEPTH = 64          # mappings and lists nested in each other
MAX_YAML_VALUES = 100_000    # values after expanding aliases (a 2 KB alias bomb expands to billions)


def _check_shared(raw: Mapping[str, Any], before: Mapping[str, Any], file: Path) -> None:
    """``shared: true`` connections are the same in every env: no ``{env}``, no overlay changes."""
    connections = raw.get("connections")
    if not isinstance(connections, Mapping):
        return
    earlier = before.get("connections") or {}
    for name, conn in connections.items():
        if name in earlier and isinstance(earlier[name], Mapping) and earlier[name].get("shared"):
            raise ConfigError(
                f"connection '{name}' is shared: true (the same in every environment), but this "
                "overlay changes it", origin=str(file),
                hint=f"remove connections.{name} from {file.name}, or set shared: false in config.yaml",
            )
        if not isinstance(conn, Mapping) or not conn.get("shared"):
            continue
        for key in ("path", "dsn", "data_path"):
            value = conn.get(key)
            if isinstance(value, str) and "{env}" in value:
                raise ConfigError(
                    f"connections.{name}.{key} uses {{env}}, but the connection is shared: true "
                    "(the same in every environment)", origin=str(file),
                    hint=f"give connections.{name}.{key} a fixed value, or set shared: false",
                )


def _read_yaml(path: Path) -> dict[str, Any]:
    from interlace.project.source_files import read_config_text

    text = read_config_text(path)
    try:
        data = _load_bounded(text, path) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", origin=where,
                          hint="fix the YAML syntax at that line") from exc
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys to values", origin=str(path),
                          hint="start the file with keys such as 'connections:'")
    return data


def _load_bounded(text: str, path: Path) -> Any:
    """``yaml.safe_load`` that refuses deep nesting and alias expansion past the limits above."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _too_deep(path) from None
        if node is None:
            return None
        _check_size(node, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _too_deep(path: Path, line: int | None = None) -> ConfigError:
    return ConfigError(f"the YAML nests deeper than {MAX_YAML_DEPTH} levels",
                       origin=f"{path}:{line}" if line else str(path),
                       hint="a configuration file needs a few levels: flatten the structure")


def _check_size(root: yaml.Node, path: Path) -> None:
    """Count the values the document expands to (each alias counts its whole target), iteratively."""
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_YAML_DEPTH:
            raise _too_deep(path, node.start_mark.line + 1)
        children = _children(node)
        if done or not children:
            total = 1 + sum(expanded[id(c)] for c in children)
            if total > MAX_YAML_VALUES:
                raise ConfigError(
                    f"the YAML expands to more than {MAX_YAML_VALUES:,} values through its aliases (*name)",
                    origin=f"{path}:{node.start_mark.line + 1}",
                    hint="a configuration file needs no repeated aliases: write the values out")
            expanded[id(node)] = total
            continue
        if id(node) in expanded:
            continue
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in expanded)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _substitute(value: Any, *, env: str, file: Path, key: str) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, env=env, file=file, key=f"{key}.{k}" if key else str(k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env=env, file=file, key=f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"key '{key}' uses ${{{name}}}, but the environment variable {name} is not set",
            origin=str(file),
            hint=f"set {name}, or give a default: ${{{name}:-value}}",
        )

    return _VAR.sub(replace, value).replace("{env}", env)


def _deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _validate(data: dict[str, Any], file: Path) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(err) for err in exc.errors()]
        raise ConfigError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n  " + "\n  ".join(problems),
            origin=str(file),
            hint="correct the key named above (see the configuration reference in README.md)",
        ) from None


def _describe(err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc)
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = ", ".join(parent.model_fields) if parent else ""
        return f"unknown key '{key}'" + (f" (valid keys here: {valid})" if valid else "")
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"key '{key}': {message} (got {err.get('input')!r})"


def _model_at(path: list[str]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``path`` (for listing its valid keys)."""
    model: type[BaseModel] = Config
    i = 0
    while i < len(path):
        field = model.model_fields.get(path[i])
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        nested = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is None:
            return None
        model = nested
        # dict[str, Model] and list[Model] take one more path element (the key or index)
        if args and annotation is not nested:
            i += 1
        i += 1
    return model
