"""``streams:`` in config and the keywords of ``@stream``: one validated shape for both."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["FIELD_TYPES", "DirectoryConfig", "RedisConfig", "StreamAuthConfig", "StreamConfig",
           "StreamRateLimit", "WebhookConfig"]

# the declared field types (``fields={"amount": "double"}``) and the DuckDB type each becomes
FIELD_TYPES: dict[str, str] = {
    "varchar": "VARCHAR", "string": "VARCHAR", "text": "VARCHAR",
    "bigint": "BIGINT", "int": "BIGINT", "integer": "BIGINT",
    "double": "DOUBLE", "float": "DOUBLE",
    "boolean": "BOOLEAN", "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ", "date": "DATE", "json": "JSON",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: str | float | int) -> str | float | int:
    from interlace.schedules import parse_duration

    parse_duration(value)
    return value


class StreamAuthConfig(_Strict):
    """Who may publish to / read a stream: a minimum key scope, optionally only named keys."""

    publish_scope: Literal["read", "run", "admin"] = "run"
    read_scope: Literal["read", "run", "admin"] = "read"
    keys: list[str] = Field(default_factory=list)  # key names allowed (empty: any key with the scope)


class StreamRateLimit(_Strict):
    """A token bucket per key for publishing to this stream (requests a second, burst)."""

    rate: float = Field(gt=0)
    burst: int = Field(default=50, ge=1)


class WebhookConfig(_Strict):
    """Outbound webhook: every committed event is POSTed (JSON array), signed with HMAC-SHA256."""

    url: str = Field(pattern=r"^https?://\S+$")
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")  # env var holding the secret
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff: float = Field(default=0.5, gt=0, le=60)  # seconds before the 2nd attempt, doubling
    batch_size: int = Field(default=100, ge=1, le=10_000)
    timeout: float = Field(default=10.0, gt=0)


class DirectoryConfig(_Strict):
    """A watched directory: each JSONL/CSV/Parquet file that appears is ingested exactly once."""

    path: str
    pattern: str = "*"
    poll_interval: float = Field(default=1.0, gt=0, le=3600)


class RedisConfig(_Strict):
    """A Redis Stream read through a consumer group; entries are XACKed after their commit."""

    url: str = "redis://127.0.0.1:6379/0"
    key: str = Field(min_length=1)
    group: str = "interlace"
    consumer: str = "interlace-1"
    batch_size: int = Field(default=500, ge=1, le=100_000)
    block_ms: int = Field(default=1000, ge=1)


class StreamConfig(_Strict):
    """One stream. Without ``fields`` the table's schema comes from the payloads (``schema_mode``);
    with ``fields`` every event is validated against them."""

    description: str | None = None
    fields: dict[str, str] | None = None
    required: list[str] = Field(default_factory=list)
    schema_mode: Literal["strict", "safe"] = "safe"
    on_invalid: Literal["reject", "dead_letter"] = "reject"
    auth: StreamAuthConfig = Field(default_factory=StreamAuthConfig)
    rate_limit: StreamRateLimit | None = None
    retention: str | float | int = "30d"
    retention_unacked: Literal["keep", "delete"] = "keep"
    trigger: bool = True  # new events run the models downstream of the stream
    debounce: str | float | int = 5.0  # at most one triggered run per this many seconds
    visibility_timeout: str | float | int = "30s"
    max_deliveries: int = Field(default=5, ge=1)
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    directory: DirectoryConfig | None = None
    redis: RedisConfig | None = None

    @field_validator("retention", "debounce", "visibility_timeout")
    @classmethod
    def _durations(cls, value: str | float | int) -> str | float | int:
        return _duration(value)

    @field_validator("fields")
    @classmethod
    def _types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        for name, kind in value.items():
            if name.startswith("_"):
                raise ValueError(f"field '{name}': names starting with '_' are reserved "
                                 "(_offset, _event_id, _received_at, _source)")
            if kind.lower() not in FIELD_TYPES:
                raise ValueError(f"field '{name}': unknown type '{kind}' "
                                 f"(one of: {', '.join(sorted(FIELD_TYPES))})")
        return {name: kind.lower() for name, kind in value.items()}

    @model_validator(mode="after")
    def _required_declared(self) -> StreamConfig:
        unknown = [r for r in self.required if self.fields is None or r not in self.fields]
        if unknown:
            raise ValueError(f"required field(s) {', '.join(unknown)} are not in 'fields'")
        return self
