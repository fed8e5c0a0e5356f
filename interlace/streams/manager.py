"""``ws.streams``: every stream of a workspace — publish, tail, consume/ack, triggers, retention.

One per workspace (the process that owns the warehouse). The writer and the consumer state use
cursors of their own on the workspace's connection, so publishing never waits for the server's
lock. ``start()`` (``interlace serve`` calls it) turns on triggers and the adapters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from interlace.errors import DuplicateModelError, InterlaceError
from interlace.state.streams import ConsumerRecord, DeadLetter, StreamState
from interlace.streams.spec import StreamSpec
from interlace.streams.writer import PublishResult, StreamWriter

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["InvalidConsumerError", "StreamInfo", "Streams", "UnknownStreamError", "stream_specs"]

log = logging.getLogger("interlace.streams")
T = TypeVar("T")


class UnknownStreamError(InterlaceError):
    code = "STREAM_NOT_FOUND"


class InvalidConsumerError(InterlaceError):
    code = "VALIDATION_ERROR"


def stream_specs(ws: Workspace) -> dict[str, StreamSpec]:
    """The streams of ``streams:`` in config and of ``stream(...)`` in the model files."""
    where = str(ws.loaded.files[-1]) if ws.loaded.files else "config.yaml"
    out = {name: StreamSpec(name, conf, f"{where}: streams.{name}")
           for name, conf in ws.loaded.config.streams.items()}
    for spec in ws.project.streams.values():
        if spec.name in out:
            raise DuplicateModelError(f"stream '{spec.name}' is declared twice: "
                                      f"{out[spec.name].origin} and {spec.origin}",
                                      origin=spec.origin, hint="keep one of the two declarations")
        out[spec.name] = spec
    clash = sorted(set(out) & {m.lower() for m in ws.models})
    if clash:
        raise DuplicateModelError(
            f"'{clash[0]}' is both a stream ({out[clash[0]].origin}) and a model "
            f"({ws.models[clash[0]].origin})", origin=out[clash[0]].origin,
            hint="a stream is a table models read: rename the stream or the model")
    return out


class StreamInfo(dict[str, Any]):
    """A stream's facts for the faces (a dict: JSON as it is)."""


class Streams:
    """See the module docstring."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self.root = ws.root
        self.schema = ws.loaded.config.run.default_schema
        self.specs = stream_specs(ws)
        self.writer = StreamWriter(ws.engine.connection, self.specs, schema=self.schema,
                                   on_commit=self._committed)
        self.state = StreamState(ws.engine.connection)
        self._reader = ws.engine.connection.cursor()
        self._read_lock = threading.Lock()
        self._call: Callable[[Callable[[Workspace], Any]], Any] = lambda work: work(ws)
        self._triggers: Any = None
        self._adapters: list[Any] = []
        self._listeners: list[Callable[[str, int, int], None]] = []

    # -- declarations --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Pick up streams declared since (the project was reloaded)."""
        for name, spec in stream_specs(self._ws).items():
            if name not in self.writer.specs:
                self.writer.add(spec)
            self.specs[name] = spec

    def spec(self, name: str) -> StreamSpec:
        spec = self.specs.get(name)
        if spec is None:
            from interlace.errors import did_you_mean

            raise UnknownStreamError(
                f"no stream named '{name}'{did_you_mean(name, list(self.specs))}",
                origin="streams:", hint="declare it under streams: in config.yaml or with "
                                        f"stream('{name}') in a model file; known: "
                                        f"{', '.join(sorted(self.specs)) or 'none'}")
        return spec

    def relation(self, name: str) -> str:
        return self.writer.relation(self.spec(name).name)

    # -- publishing ----------------------------------------------------------------------------
    def submit(self, name: str, events: Sequence[Any] | Mapping[str, Any], *,
               source: str = "python", within: Any = None,
               on_invalid: str | None = None) -> Future[PublishResult]:
        self.spec(name)
        batch = [events] if isinstance(events, Mapping) else list(events)
        return self.writer.submit(name, batch, source=source, within=within, on_invalid=on_invalid)

    def publish(self, name: str, events: Sequence[Any] | Mapping[str, Any], *,
                source: str = "python", timeout: float | None = 60.0) -> PublishResult:
        """Store one event (a dict) or many; returns once they are committed (durable)."""
        return self.submit(name, events, source=source).result(timeout)

    def on_commit(self, listener: Callable[[str, int, int], None]) -> Callable[[], None]:
        """Call ``listener(stream, count, last_offset)`` after each commit (on the writer thread)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _committed(self, name: str, count: int, last_offset: int) -> None:
        self._ws.events.emit("stream.published", stream=name, count=count)
        for listener in list(self._listeners):
            try:
                listener(name, count, last_offset)
            except Exception:  # noqa: BLE001 - a listener never breaks the writer
                log.exception("stream listener failed")
        if self._triggers is not None and self.specs[name].config.trigger:
            self._triggers.notify(name)

    # -- reading -------------------------------------------------------------------------------
    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._read_lock:
            result = self._reader.execute(sql, params)
            names = [c[0] for c in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def tail(self, name: str, limit: int = 10, *, after: int | None = None) -> list[dict[str, Any]]:
        """The last ``limit`` events (oldest first), or those after offset ``after``."""
        rel = self.relation(name)
        if after is not None:
            return self._rows(f"SELECT * FROM {rel} WHERE _offset > ? ORDER BY _offset LIMIT ?",
                              [after, limit])
        return self._rows(f"SELECT * FROM (SELECT * FROM {rel} ORDER BY _offset DESC LIMIT ?) "
                          "ORDER BY _offset", [limit])

    def info(self, name: str) -> StreamInfo:
        spec, rel = self.spec(name), self.relation(name)
        stats = self._rows(
            f"SELECT count(*) AS events, max(_offset) AS last_offset, max(_received_at) AS last_at, "
            f"count(*) FILTER (WHERE _received_at > now() - INTERVAL 60 SECOND) AS last_minute "
            f"FROM {rel}", [])[0]
        return StreamInfo(
            name=name, relation=f"{self.schema}.{name}", origin=spec.origin,
            description=spec.config.description, columns=self.writer.columns(name),
            declared=spec.config.fields is not None, events=int(stats["events"]),
            last_offset=stats["last_offset"], last_event_at=stats["last_at"],
            rate_per_minute=int(stats["last_minute"]), retention=str(spec.config.retention),
            consumers=[c.to_dict() for c in self.consumers(name)],
            dead_letters=len(self.dead_letters(name)),
            downstream=list(self.downstream(name)))

    # -- consuming -----------------------------------------------------------------------------
    def consume(self, name: str, consumer: str, batch_size: int = 100) -> list[dict[str, Any]]:
        """Events not yet acknowledged by ``consumer`` (at least once: ack when processed)."""
        spec = self.spec(name)
        _check_consumer(consumer)
        return self.state.consume(name, self.relation(name), consumer, batch_size,
                                  visibility=spec.seconds("visibility_timeout"),
                                  max_deliveries=spec.config.max_deliveries,
                                  now=self._ws.reliability.clock.now())

    def ack(self, name: str, consumer: str, up_to: int) -> int:
        self.spec(name)
        _check_consumer(consumer)
        return self.state.ack(name, consumer, up_to)

    def replay(self, name: str, consumer: str, from_offset: int = 1) -> None:
        """Deliver events from ``from_offset`` on to ``consumer`` again."""
        self.spec(name)
        _check_consumer(consumer)
        self.state.rewind(name, consumer, max(0, from_offset - 1))

    def consumers(self, name: str) -> list[ConsumerRecord]:
        return self.state.consumers(name, self.relation(name))

    def dead_letters(self, name: str | None = None, limit: int = 100) -> list[DeadLetter]:
        return self.state.dead_letters(name, limit)

    # -- triggers ------------------------------------------------------------------------------
    def downstream(self, name: str) -> tuple[str, ...]:
        """The models that read the stream directly (their descendants run with them)."""
        graph = self._ws.graph()
        wanted = {name.lower(), f"{self.schema}.{name}".lower()}
        return tuple(m for m, refs in graph.sources.items()
                     if any(r.lower().replace('"', "") in wanted for r in refs))

    def _fire(self, name: str) -> bool:
        from interlace.errors import RunInProgressError
        from interlace.options import RunOptions

        def start(ws: Workspace) -> bool:
            readers = self.downstream(name)
            if not readers:
                return True
            selector = tuple(f"{m}+" for m in readers)
            try:
                ws.runs.start(ws.plan(RunOptions(select=selector)), trigger=f"stream:{name}")
            except RunInProgressError:
                return False
            return True

        started: bool = self._call(start)
        return started

    def start(self, *, call: Callable[[Callable[[Workspace], Any]], Any] | None = None,
              adapters: bool = True) -> Streams:
        """Turn on triggers (and the adapters: directory, Redis, outbound webhooks)."""
        from interlace.streams.triggers import Debouncer

        if call is not None:
            self._call = call
        if self._triggers is None:
            self._triggers = Debouncer(self._fire, lambda s: self.spec(s).seconds("debounce"))
        if adapters and not self._adapters:
            from interlace.streams.adapters import start_adapters

            self._adapters = start_adapters(self)
        return self

    @property
    def triggered(self) -> dict[str, int]:
        return dict(self._triggers.fired) if self._triggers is not None else {}

    # -- retention -----------------------------------------------------------------------------
    def enforce_retention(self, now: datetime | None = None) -> dict[str, int]:
        """Delete events older than each stream's ``retention`` that every consumer acknowledged
        (with ``retention_unacked: delete``, unacknowledged ones too); returns deletions."""
        now = now or datetime.now(UTC)
        out: dict[str, int] = {}
        for name, spec in self.specs.items():
            cutoff = now - timedelta(seconds=spec.seconds("retention"))
            floor = self.state.min_acked(name)
            keep_unacked = spec.config.retention_unacked == "keep" and floor is not None
            rows = self._rows(
                f"DELETE FROM {self.relation(name)} WHERE _received_at < ? "
                f"AND (? OR _offset <= ?) RETURNING _offset",
                [cutoff, not keep_unacked, floor or 0])
            if rows:
                out[name] = len(rows)
        return out

    def close(self) -> None:
        for adapter in self._adapters:
            adapter.stop()
        if self._triggers is not None:
            self._triggers.stop()
        self.writer.close()
        self.state.close()
        self._reader.close()


def _check_consumer(consumer: str) -> None:
    if not consumer or len(consumer) > 200 or not consumer.isprintable():
        raise InvalidConsumerError(f"consumer name {consumer[:40]!r} is not valid", origin="consumer",
                             hint="use 1 to 200 printable characters (e.g. 'billing')")

