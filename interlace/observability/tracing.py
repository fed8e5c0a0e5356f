"""OpenTelemetry: a span per run and, nested in it, a span per model — fed by the event bus.

:class:`SpanRecorder` starts the run's span at ``run.started`` and a child span at each
``model.started``, and ends them at the matching finish events, with the event timestamps as the
spans' times. Model spans carry ``interlace.model``, ``interlace.materialize``,
``interlace.strategy``, ``interlace.rows``, ``interlace.status`` and ``db.system.name=duckdb``;
a failed model's span has status ERROR with the error message.

``opentelemetry`` is imported only here, and this module only when tracing is configured
(``observability.otel`` in config.yaml, or the standard ``OTEL_EXPORTER_OTLP_*`` variables) —
install the ``otel`` extra. Core: imports no face library.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from interlace.events import Event, EventBus, ModelFinished, ModelStarted, RunFinished, RunStarted

if TYPE_CHECKING:
    from interlace.config import OtelConfig

__all__ = ["ENV_VARIABLES", "SpanRecorder", "is_configured", "tracer_provider"]

ENV_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_MODEL_FIELDS = ("rows", "inserted", "updated", "deleted", "duration_ms")


def _ns(timestamp: float) -> int:
    return int(timestamp * 1_000_000_000)


def is_configured(config: OtelConfig | None) -> bool:
    """Tracing is on when ``observability.otel`` is in the config or an OTLP endpoint is in the environment."""
    return config is not None or any(os.environ.get(name) for name in ENV_VARIABLES)


def tracer_provider(config: OtelConfig | None) -> Any:
    """A TracerProvider that batches spans to the configured OTLP/HTTP endpoint (or the one the
    ``OTEL_*`` variables name)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = config.service_name if config else os.environ.get("OTEL_SERVICE_NAME", "interlace")
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    options: dict[str, Any] = {}
    if config is not None and config.endpoint:
        options["endpoint"] = config.endpoint
    if config is not None and config.headers:
        options["headers"] = dict(config.headers)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(**options)))
    return provider


class SpanRecorder:
    """Turns a bus's run and model events into OpenTelemetry spans on ``tracer``."""

    def __init__(self, tracer: Any) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        self._tracer = tracer
        self._trace, self._status, self._code = trace, Status, StatusCode
        self._runs: dict[str | None, Any] = {}
        self._models: dict[tuple[str | None, str | None], Any] = {}
        self._lock = threading.Lock()
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            RunStarted: self._run_started, RunFinished: self._run_ended,
            ModelStarted: self._model_started, ModelFinished: self._model_ended,
        }

    def attach(self, bus: EventBus) -> Callable[[], None]:
        return bus.subscribe(self.observe)

    def observe(self, event: Event) -> None:
        for cls in type(event).__mro__:
            handler = self._handlers.get(cls)
            if handler is not None:
                handler(event)
                return

    def _run_started(self, event: RunStarted) -> None:
        span = self._tracer.start_span("interlace.run", start_time=_ns(event.timestamp), attributes={
            "interlace.run_id": event.run_id or "", "interlace.trigger": event.trigger or "",
            "interlace.models": event.total})
        with self._lock:
            self._runs[event.run_id] = span

    def _model_started(self, event: ModelStarted) -> None:
        span = self._start_model(event, {"interlace.strategy": event.strategy or "",
                                         "interlace.relation": event.relation or "",
                                         "interlace.action": event.action})
        with self._lock:
            self._models[(event.run_id, event.model)] = span

    def _start_model(self, event: Event, attributes: dict[str, Any]) -> Any:
        with self._lock:
            parent = self._runs.get(event.run_id)
        context = self._trace.set_span_in_context(parent) if parent is not None else None
        return self._tracer.start_span(f"interlace.model {event.model}", context=context,
                                       start_time=_ns(event.timestamp), attributes={
                                           "interlace.model": event.model or "", "interlace.run_id": event.run_id or "",
                                           "interlace.materialize": getattr(event, "materialize", None) or "",
                                           "db.system.name": "duckdb", **attributes})

    def _model_ended(self, event: ModelFinished) -> None:
        with self._lock:
            span = self._models.pop((event.run_id, event.model), None)
        if span is None:  # skipped (an upstream failed): it never started, its span is an instant
            span = self._start_model(event, {})
        span.set_attribute("interlace.status", event.status)
        for name in _MODEL_FIELDS:
            value = getattr(event, name)
            if value is not None:
                span.set_attribute(f"interlace.{name}", value)
        if event.status == "failed":
            message = (event.error or {}).get("message", "failed")
            span.set_status(self._status(self._code.ERROR, str(message)))
        elif event.status == "success":
            span.set_status(self._status(self._code.OK))
        if event.skip_reason:
            span.set_attribute("interlace.skip_reason", event.skip_reason)
        span.end(end_time=_ns(event.timestamp))

    def _run_ended(self, event: RunFinished) -> None:
        with self._lock:
            span = self._runs.pop(event.run_id, None)
            left = [k for k in self._models if k[0] == event.run_id]
            dangling = [self._models.pop(k) for k in left]
        for model_span in dangling:  # a model without an end event: ended with its run
            model_span.end(end_time=_ns(event.timestamp))
        if span is None:
            return
        span.set_attributes({"interlace.status": event.status, "interlace.succeeded": event.succeeded,
                             "interlace.failed": event.failed, "interlace.skipped": event.skipped})
        if event.status == "failed":
            span.set_status(self._status(self._code.ERROR, f"{event.failed} model(s) failed"))
        elif event.status == "success":
            span.set_status(self._status(self._code.OK))
        span.end(end_time=_ns(event.timestamp))
