"""Redis Streams in: a consumer group read with ``XREADGROUP``; ``XACK`` only after the commit.

Each entry becomes an event whose ``_event_id`` is ``redis:<key>:<entry id>``, so an entry read
again (a crash between the commit and the XACK) is a duplicate the writer drops. On start the
adapter first re-reads its own pending entries (id ``0``), then claims entries other consumers
left pending too long (``XAUTOCLAIM``). An entry's fields are the event, or the JSON of its
``data`` field when that is the only one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from interlace.streams.adapters.base import PollingAdapter
from interlace.streams.config import RedisConfig

if TYPE_CHECKING:
    from interlace.streams.manager import Streams

__all__ = ["RedisAdapter", "entry_event"]

CLAIM_IDLE_MS = 60_000


def entry_event(key: str, entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    if set(fields) == {"data"}:
        try:
            loaded = json.loads(fields["data"])
        except json.JSONDecodeError:
            loaded = fields
        event: dict[str, Any] = loaded if isinstance(loaded, dict) else {"data": loaded}
    else:
        event = dict(fields)
    event.setdefault("_event_id", f"redis:{key}:{entry_id}")
    return event


class RedisAdapter(PollingAdapter):
    interval = 0.2

    def __init__(self, streams: Streams, stream: str, conf: RedisConfig) -> None:
        super().__init__()
        import redis

        self.name = f"redis:{stream}"
        self.streams, self.stream, self.conf = streams, stream, conf
        self.client: Any = redis.Redis.from_url(conf.url, decode_responses=True,
                                           socket_timeout=conf.block_ms / 1000 + 5)
        self._backlog = True  # our own pending entries are read first (after a restart)
        self._group_ready = False
        self.acked = 0

    def _ensure_group(self) -> None:
        import redis

        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.conf.key, self.conf.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True
        claimed = self.client.xautoclaim(self.conf.key, self.conf.group, self.conf.consumer,
                                         CLAIM_IDLE_MS, "0-0", count=self.conf.batch_size)
        if claimed and claimed[1]:
            self._backlog = True

    def step(self) -> bool:
        self._ensure_group()
        start = "0" if self._backlog else ">"
        reply = self.client.xreadgroup(self.conf.group, self.conf.consumer, {self.conf.key: start},
                                       count=self.conf.batch_size,
                                       block=None if self._backlog else self.conf.block_ms)
        entries = [(eid, fields) for _, items in (reply or []) for eid, fields in items
                   if fields is not None]
        if not entries:
            self._backlog = False
            return False
        events = [entry_event(self.conf.key, eid, fields) for eid, fields in entries]
        self.streams.submit(self.stream, events, source=f"redis:{self.conf.key}",
                            on_invalid="dead_letter").result()
        # committed: only now may Redis forget them
        self.acked += int(self.client.xack(self.conf.key, self.conf.group, *[e for e, _ in entries]))
        return True

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.client.close()
