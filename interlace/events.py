"""The event bus: the one source of truth about what a run is doing.

Every face listens here: the CLI progress display, widgets, server-sent events, metrics, logs.
Handlers run synchronously on the emitting thread, so they must be quick; a handler that raises is
logged and otherwise ignored — a broken listener never breaks a run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EVENT_TYPES", "Event", "EventBus", "Handler"]

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset({
    "run.started", "run.finished", "run.failed", "run.cancelled",
    "model.queued", "model.started", "model.finished", "model.failed", "model.skipped",
    "check.finished", "schedule.fired", "stream.published",
})


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    run_id: str | None = None
    model: str | None = None
    timestamp: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "run_id": self.run_id, "model": self.model,
                "timestamp": self.timestamp, **self.data}


Handler = Callable[[Event], None]


class EventBus:
    """Publish/subscribe for :class:`Event`; thread-safe."""

    def __init__(self) -> None:
        self._handlers: list[tuple[Handler, frozenset[str] | None]] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: Handler, types: Iterable[str] | None = None) -> Callable[[], None]:
        """Call ``handler`` for each event (of ``types`` only, if given); returns an unsubscribe function."""
        wanted = frozenset(types) if types is not None else None
        if wanted is not None and not wanted <= EVENT_TYPES:
            raise ValueError(f"unknown event types: {', '.join(sorted(wanted - EVENT_TYPES))}")
        entry = (handler, wanted)
        with self._lock:
            self._handlers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._handlers:
                    self._handlers.remove(entry)

        return unsubscribe

    def emit(self, type: str, *, run_id: str | None = None, model: str | None = None, **data: Any) -> Event:
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        event = Event(type=type, run_id=run_id, model=model, data=data)
        with self._lock:
            handlers = list(self._handlers)
        for handler, wanted in handlers:
            if wanted is not None and type not in wanted:
                continue
            try:
                handler(event)
            except Exception:  # a listener must never break the run
                log.exception("event handler %r failed on %s", handler, type)
        return event
