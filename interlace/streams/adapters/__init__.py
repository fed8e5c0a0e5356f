"""Stream adapters: what feeds a stream besides ``publish`` and HTTP, and what it feeds.

A registry: each stream config key (``directory``, ``redis``, ``webhooks``) names the adapter
class that serves it. ``start_adapters`` starts one per configured entry; each has ``stop()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from interlace.streams.manager import Streams
    from interlace.streams.spec import StreamSpec

__all__ = ["Adapter", "start_adapters"]


class Adapter(Protocol):
    name: str

    def stop(self) -> None: ...


def _directory(streams: Streams, spec: StreamSpec) -> list[Adapter]:
    from interlace.streams.adapters.directory import DirectoryAdapter

    conf = spec.config.directory
    return [] if conf is None else [DirectoryAdapter(streams, spec.name, conf).start()]


def _redis(streams: Streams, spec: StreamSpec) -> list[Adapter]:
    from interlace.streams.adapters.redis import RedisAdapter

    conf = spec.config.redis
    return [] if conf is None else [RedisAdapter(streams, spec.name, conf).start()]


def _webhooks(streams: Streams, spec: StreamSpec) -> list[Adapter]:
    from interlace.streams.adapters.webhook import WebhookAdapter

    return [WebhookAdapter(streams, spec.name, conf).start() for conf in spec.config.webhooks]


ADAPTERS: dict[str, Callable[[Streams, StreamSpec], list[Adapter]]] = {
    "directory": _directory, "redis": _redis, "webhooks": _webhooks,
}


def start_adapters(streams: Streams) -> list[Any]:
    started: list[Any] = []
    for spec in streams.specs.values():
        for make in ADAPTERS.values():
            started.extend(make(streams, spec))
    return started
