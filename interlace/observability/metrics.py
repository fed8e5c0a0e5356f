"""Prometheus metrics fed by the event bus: :class:`MetricsCollector`.

The collector subscribes to an :class:`~interlace.events.EventBus` and counts what the events say —
it never reads state. Every series it owns is named ``interlace_*`` and carries only bounded labels
(model names, statuses, materializations, the trigger's *kind*), never a run id.

It depends only on ``prometheus_client`` and :mod:`interlace.events`, so the server (``/metrics``)
and a notebook can each keep one over their workspace's bus:

    >>> from interlace.events import EventBus, RunStarted, RunFinished
    >>> bus = EventBus()
    >>> metrics = MetricsCollector()
    >>> stop = metrics.attach(bus)
    >>> _ = bus.emit(RunStarted(run_id="r1", models=("a",), trigger="cli"))
    >>> _ = bus.emit(RunFinished(run_id="r1", status="success", duration_s=0.5))
    >>> metrics.registry.get_sample_value("interlace_runs_total", {"status": "success", "trigger": "cli"})
    1.0
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from interlace.events import (
    CheckFinished,
    Event,
    EventBus,
    ModelFinished,
    ModelStarted,
    RunFinished,
    RunStarted,
)

__all__ = ["CONTENT_TYPE_LATEST", "DURATION_BUCKETS", "TRIGGER_KINDS", "MetricsCollector", "trigger_kind"]

# Seconds: from a quick view to a long backfill (Prometheus' defaults stop at 10 s).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# The trigger kinds the run manager knows (interlace.runs.Trigger); anything else counts as "other",
# so a caller cannot grow the label set by inventing triggers.
TRIGGER_KINDS = frozenset({"cli", "notebook", "api", "dashboard", "schedule", "notebook-run", "python"})
_ROW_OPERATIONS = ("inserted", "updated", "deleted")
_KEPT_RUNS = 1000  # runs whose trigger is remembered until their end event (a bound, not a cache)


def trigger_kind(trigger: str | None) -> str:
    """The label for a trigger: the part before ``:`` (``api:ci-key`` -> ``api``), bounded to the
    known kinds (``other``, or ``unknown`` when none was recorded)."""
    if not trigger:
        return "unknown"
    kind = trigger.partition(":")[0]
    return kind if kind in TRIGGER_KINDS else "other"


class MetricsCollector:
    """The ``interlace_*`` series of one workspace, in a registry of their own (no global state)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter("interlace_runs", "Runs that ended, by status and trigger kind.",
                            ("status", "trigger"), registry=r)
        self.run_duration = Histogram("interlace_run_duration_seconds", "Wall time of runs that ended.",
                                      ("status", "trigger"), buckets=DURATION_BUCKETS, registry=r)
        self.runs_active = Gauge("interlace_runs_active", "Runs started and not yet ended.", registry=r)
        self.models = Counter("interlace_model_outcomes", "Model outcomes (success, failed, skipped, "
                              "cancelled) by trigger kind.", ("model", "status", "trigger"), registry=r)
        self.model_duration = Histogram("interlace_model_duration_seconds", "Build time of models.",
                                        ("model", "materialize", "status"), buckets=DURATION_BUCKETS,
                                        registry=r)
        self.models_running = Gauge("interlace_models_running", "Models building right now.", registry=r)
        self.rows = Counter("interlace_model_rows", "Rows written by models, by operation "
                            "(inserted, updated, deleted; 'written' when the strategy reports only a total).",
                            ("model", "operation"), registry=r)
        self.checks = Counter("interlace_quality_checks", "Quality check results by severity and status.",
                              ("check_type", "severity", "status"), registry=r)
        self.check_failing_rows = Counter("interlace_quality_failing_rows", "Rows that failed quality "
                                          "checks.", ("check_type", "severity"), registry=r)
        self._triggers: dict[str, str] = {}
        self._running: set[tuple[str | None, str | None]] = set()
        self._lock = threading.Lock()
        self._handlers: dict[type[Event], Callable[[Event], None]] = {
            RunStarted: self._run_started, RunFinished: self._run_ended, ModelStarted: self._model_started,
            ModelFinished: self._model_ended, CheckFinished: self._check_finished,
        }

    def attach(self, bus: EventBus) -> Callable[[], None]:
        """Count the events of ``bus`` from now on; returns the function that stops it."""
        return bus.subscribe(self.observe)

    def observe(self, event: Event) -> None:
        """Count one event (the bus calls this; so may a test or a replay of stored events)."""
        for cls in type(event).__mro__:  # RunFailed is a RunFinished, ModelSkipped a ModelFinished
            handler = self._handlers.get(cls)
            if handler is not None:
                handler(event)
                return

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)

    # -- handlers ----------------------------------------------------------------------------------
    def _run_started(self, event: Event) -> None:
        assert isinstance(event, RunStarted)
        with self._lock:
            if event.run_id is not None:
                if len(self._triggers) >= _KEPT_RUNS:  # runs that never ended (a killed process)
                    self._triggers.pop(next(iter(self._triggers)))
                self._triggers[event.run_id] = trigger_kind(event.trigger)
        self.runs_active.inc()

    def _run_ended(self, event: Event) -> None:
        assert isinstance(event, RunFinished)
        with self._lock:
            known = event.run_id in self._triggers
            kind = self._triggers.pop(event.run_id, "unknown") if event.run_id else "unknown"
            stale = {key for key in self._running if key[0] == event.run_id}
            self._running -= stale
        self.runs.labels(event.status, kind).inc()
        self.run_duration.labels(event.status, kind).observe(max(event.duration_s, 0.0))
        if known:
            self.runs_active.dec()
        if stale:  # models the run left without an end event (a crash in the engine)
            self.models_running.dec(len(stale))

    def _model_started(self, event: Event) -> None:
        with self._lock:
            self._running.add((event.run_id, event.model))
        self.models_running.inc()

    def _model_ended(self, event: Event) -> None:
        assert isinstance(event, ModelFinished)
        model = event.model or "unknown"
        with self._lock:
            kind = self._triggers.get(event.run_id or "", "unknown")
            was_running = (event.run_id, event.model) in self._running
            self._running.discard((event.run_id, event.model))
        if was_running:
            self.models_running.dec()
        self.models.labels(model, event.status, kind).inc()
        if event.duration_ms is not None:
            self.model_duration.labels(model, event.materialize or "unknown", event.status).observe(
                max(event.duration_ms, 0.0) / 1000)
        counted = False
        for operation in _ROW_OPERATIONS:
            value = getattr(event, operation)
            if value:
                self.rows.labels(model, operation).inc(value)
                counted = True
        if not counted and event.rows and event.status == "success":
            self.rows.labels(model, "written").inc(event.rows)

    def _check_finished(self, event: Event) -> None:
        assert isinstance(event, CheckFinished)
        check_type = event.check_type or "unknown"
        self.checks.labels(check_type, event.severity, event.status).inc()
        if event.failing:
            self.check_failing_rows.labels(check_type, event.severity).inc(event.failing)
