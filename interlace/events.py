"""Run lifecycle events, the bus that carries them, and the one fold of a run's events.

Every face listens here: the CLI progress display, widgets, server-sent events, metrics, logs.
Events are frozen dataclasses named in the past tense; ``to_dict()`` is their wire form (SSE,
widgets in the browser), and :func:`fold` turns a stream of them — typed or in wire form — into
a :class:`RunView`, the one account of a run's progress that the CLI, the notebook widgets and
the dashboard all render.

Handlers run synchronously on the emitting thread, so they must be quick; a handler that raises is
logged and otherwise ignored — a broken listener never breaks a run.

    >>> view = fold(RunView(), RunStarted(run_id="r1", models=("a", "b")))
    >>> view = fold(view, ModelFinished(run_id="r1", model="a", status="success", rows=3))
    >>> view.done, view.total, view.statuses["a"]
    (1, 2, 'success')
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "EVENTS",
    "EVENT_TYPES",
    "CheckFinished",
    "Event",
    "EventBus",
    "Handler",
    "ModelFailed",
    "ModelFinished",
    "ModelQueued",
    "ModelRetrying",
    "ModelSkipped",
    "ModelStarted",
    "RunCancelled",
    "RunCancelling",
    "RunFailed",
    "RunFinished",
    "RunStarted",
    "RunView",
    "ScheduleFired",
    "StreamPublished",
    "event_from_dict",
    "fold",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """What every event carries: its run, its model (if any) and when it happened."""

    type: ClassVar[str] = "event"
    run_id: str | None = None
    model: str | None = None
    timestamp: float = field(default_factory=time.time)

    @property
    def data(self) -> dict[str, Any]:
        """The event's own fields (everything but type, run id, model and timestamp)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("run_id", "model", "timestamp")}

    def to_dict(self) -> dict[str, Any]:
        """The wire form: ``{"type", "run_id", "model", "timestamp", **fields}`` (JSON-ready)."""
        return {"type": self.type, "run_id": self.run_id, "model": self.model, "timestamp": self.timestamp,
                **{k: list(v) if isinstance(v, tuple) else v for k, v in self.data.items()}}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run.started"
    models: tuple[str, ...] = ()
    total: int = 0
    trigger: str | None = None

    def __post_init__(self) -> None:
        if not self.total and self.models:
            object.__setattr__(self, "total", len(self.models))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run.finished"
    status: str = "success"
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFailed(RunFinished):
    type: ClassVar[str] = "run.failed"
    status: str = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCancelled(RunFinished):
    type: ClassVar[str] = "run.cancelled"
    status: str = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCancelling(Event):
    """Cancel was asked for (Ctrl-C, API); the run waits for the models still running to stop."""

    type: ClassVar[str] = "run.cancelling"
    waiting_for: tuple[str, ...] = ()

    def describe(self) -> str:
        waiting = f"waiting for model{'s' if len(self.waiting_for) != 1 else ''} " + ", ".join(self.waiting_for)
        return f"cancelling… ({waiting}; press Ctrl-C again to abandon)" if self.waiting_for else "cancelling…"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelQueued(Event):
    type: ClassVar[str] = "model.queued"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelStarted(Event):
    type: ClassVar[str] = "model.started"
    materialize: str | None = None
    strategy: str | None = None
    relation: str | None = None
    action: str = "build"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFinished(Event):
    """A model's outcome (the fields of ``ModelResult.to_dict()``)."""

    type: ClassVar[str] = "model.finished"
    status: str = "success"
    action: str = "build"
    reason: str | None = None
    relation: str | None = None
    materialize: str | None = None
    rows: int | None = None
    inserted: int | None = None
    updated: int | None = None
    deleted: int | None = None
    duration_ms: float | None = None
    skip_reason: str | None = None
    error: dict[str, Any] | None = None
    columns: list[list[str]] = field(default_factory=list)
    schema_changed: bool = False
    checks: list[dict[str, Any]] = field(default_factory=list)
    nulled: dict[str, int] = field(default_factory=dict)  # schema_mode='lenient': column -> values made NULL


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelFailed(ModelFinished):
    type: ClassVar[str] = "model.failed"
    status: str = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSkipped(ModelFinished):
    """Not built: an upstream failed (``skipped``) or the run was cancelled (``cancelled``)."""

    type: ClassVar[str] = "model.skipped"
    status: str = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelRetrying(Event):
    """An attempt failed and the model's retry policy tries again after ``delay_s``."""

    type: ClassVar[str] = "model.retrying"
    attempt: int = 1  # the attempt that failed
    delay_s: float = 0.0
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFinished(Event):
    type: ClassVar[str] = "check.finished"
    check: str = ""
    check_type: str = ""
    severity: str = "error"
    status: str = "pass"
    failing: int = 0
    duration_ms: float = 0.0
    sql: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleFired(Event):
    type: ClassVar[str] = "schedule.fired"
    schedule: str = ""
    scheduled_for: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPublished(Event):
    type: ClassVar[str] = "stream.published"
    stream: str = ""
    count: int = 0


EVENTS: dict[str, type[Event]] = {cls.type: cls for cls in (
    RunStarted, RunFinished, RunFailed, RunCancelled, RunCancelling, ModelQueued, ModelStarted, ModelFinished,
    ModelFailed, ModelSkipped, ModelRetrying, CheckFinished, ScheduleFired, StreamPublished)}
EVENT_TYPES = frozenset(EVENTS)

Handler = Callable[[Event], None]


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """The typed event of a wire form (``Event.to_dict()``): lists become the tuples they were."""
    cls = EVENTS[str(data["type"])]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in fields:
            continue
        default = fields[name].default
        was_tuple = isinstance(value, list) and isinstance(default, tuple)
        values[name] = tuple(value) if was_tuple else value
    return cls(**values)


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

    def emit(self, event: Event | str, **fields: Any) -> Event:
        """Deliver ``event`` to the subscribers; ``emit("model.finished", model=..., ...)`` builds
        the typed event from its wire name and fields."""
        if isinstance(event, str):
            if event not in EVENTS:
                raise ValueError(f"unknown event type {event!r}")
            if "models" in fields:
                fields["models"] = tuple(fields["models"])
            event = EVENTS[event](**fields)
        with self._lock:
            handlers = list(self._handlers)
        for handler, wanted in handlers:
            if wanted is not None and event.type not in wanted:
                continue
            try:
                handler(event)
            except Exception:  # a listener must never break the run
                log.exception("event handler %r failed on %s", handler, event.type)
        return event


# -- the one fold of a run's events --------------------------------------------------------------

_MODEL_STATUS = {"model.queued": "queued", "model.started": "running", "model.finished": "success",
                 "model.failed": "failed"}
_DONE = frozenset({"success", "failed", "skipped", "cancelled"})


@dataclass(frozen=True, slots=True)
class RunView:
    """A run as its events tell it so far: its status, and each model's status and last outcome."""

    run_id: str | None = None
    status: str = "waiting"  # waiting | running | success | failed | cancelled
    order: tuple[str, ...] = ()  # the run's models, in the order they were announced
    statuses: Mapping[str, str] = field(default_factory=dict)
    info: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # model -> outcome (see outcome())

    @property
    def total(self) -> int:
        return len(self.order)

    @property
    def done(self) -> int:
        return sum(1 for m in self.order if self.statuses.get(m) in _DONE)


def fold(view: RunView, event: Event | Mapping[str, Any], known: Collection[str] | None = None) -> RunView:
    """The view after one event (typed, or its wire form). ``known`` limits the models tracked
    (a DAG shows only its own nodes); events of other models leave the view as it was."""
    data = event.to_dict() if isinstance(event, Event) else event
    kind, model = data.get("type"), data.get("model")
    if kind == "run.started":
        models = tuple(m for m in data.get("models") or () if known is None or m in known)
        statuses = {**view.statuses, **dict.fromkeys(models, "queued")}
        return dataclasses.replace(view, run_id=data.get("run_id"), status="running", statuses=statuses,
                                   order=models or view.order)
    if kind in ("run.finished", "run.failed", "run.cancelled"):
        return dataclasses.replace(view, status=str(data.get("status") or str(kind).split(".")[1]))
    if model is None or (known is not None and model not in known):
        return view
    if kind in _MODEL_STATUS:
        status = _MODEL_STATUS[str(kind)]
    elif kind == "model.skipped":
        status = str(data.get("status") or "skipped")
    else:
        return view
    order = view.order if model in view.order else (*view.order, str(model))
    info = dict(view.info)
    if kind != "model.started" and kind != "model.queued":
        info[str(model)] = outcome(data)
    return dataclasses.replace(view, order=order, statuses={**view.statuses, str(model): status}, info=info)


def outcome(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a view shows of a model's last outcome, from a model event's wire form."""
    error = data.get("error") or {}
    return {
        "status": data.get("status"), "rows": data.get("rows"), "duration_ms": data.get("duration_ms"),
        "inserted": data.get("inserted"), "updated": data.get("updated"), "deleted": data.get("deleted"),
        "reason": data.get("reason") or data.get("skip_reason"),
        "error": error.get("message") if isinstance(error, dict) else None,
        "hint": error.get("hint") if isinstance(error, dict) else None,
        "checks": list(data.get("checks") or ()),
    }
