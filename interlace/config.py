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
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from interlace.errors import ConfigError

__all__ = [
    "AttachConfig", "AuthConfig", "Config", "ConnectionConfig", "CorsConfig", "LoadedConfig", "LoggingConfig",
    "ObservabilityConfig", "OtelConfig", "RateLimitConfig", "RunConfig", "ServiceConfig", "ServiceKeyConfig",
    "load_config",
]

DEFAULT_ENV = "dev"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttachConfig(_Strict):
    """Another DuckDB file attached under ``name``; models reference it as ``name.schema.table``."""

    name: str
    path: str
    type: Literal["duckdb"] = "duckdb"
    read_only: bool = True


class ConnectionConfig(_Strict):
    """A DuckDB warehouse file. ``access: read`` opens it read-only (writes fail clearly)."""

    type: Literal["duckdb"] = "duckdb"
    path: str = ".interlace/{env}.duckdb"
    access: Literal["read", "write"] = "write"
    shared: bool = False
    attach: list[AttachConfig] = Field(default_factory=list)
    settings: dict[str, str | int | float | bool] = Field(default_factory=dict)


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
    models_paths: list[str] = Field(default_factory=lambda: ["models"])
    quality: QualityConfig = Field(default_factory=QualityConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    logging: LoggingConfig | None = None
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)


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
        raw = connection.path.replace("{env}", self.env)
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
    if config.default_connection not in config.connections:
        raise ConfigError(
            f"default_connection '{config.default_connection}' is not one of the connections "
            f"({', '.join(sorted(config.connections)) or 'none'})",
            origin=str(files[-1] if files else project_dir),
            hint="name one of the entries under 'connections:'",
        )
    return LoadedConfig(config=config, env=env, files=tuple(files))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", origin=where,
                          hint="fix the YAML syntax at that line") from exc
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys to values", origin=str(path),
                          hint="start the file with keys such as 'connections:'")
    return data


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
    return f"key '{key}': {err['msg']} (got {err.get('input')!r})"


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
