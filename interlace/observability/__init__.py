"""Observability: Prometheus metrics, OpenTelemetry spans and structured logs, all fed by the event bus.

- :mod:`~interlace.observability.metrics` — :class:`MetricsCollector` turns events into
  ``interlace_*`` Prometheus series (imports only ``prometheus_client`` and :mod:`interlace.events`,
  so the server and a notebook can share it).
- :mod:`~interlace.observability.tracing` — a span per run and per model (OpenTelemetry, imported
  only when tracing is configured).
- :mod:`~interlace.observability.logs` — ``logging: {format, level}``: text or JSON lines carrying
  ``run_id``, ``model`` and ``event``, with API keys redacted.

Nothing here is read or connected at import time; importing this package imports neither
``prometheus_client`` nor ``opentelemetry``. Core: imports no face library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.config import Config
    from interlace.events import EventBus

__all__ = ["Observers", "observe"]


class Observers:
    """What :func:`observe` attached to a bus; ``close()`` detaches it and flushes spans."""

    def __init__(self) -> None:
        self.stops: list[Callable[[], None]] = []
        self.tracer_provider: Any = None

    def close(self) -> None:
        for stop in self.stops:
            stop()
        self.stops.clear()
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()  # exports what is still batched
            self.tracer_provider = None


def observe(bus: EventBus, config: Config, *, secrets: tuple[str, ...] = ()) -> Observers:
    """Attach the event log to ``bus`` — and the span recorder when tracing is configured — and
    apply ``config.logging`` when the config has that section."""
    from interlace.observability.logs import EventLog, configure_logging

    observers = Observers()
    if config.logging is not None:
        configure_logging(config.logging.format, config.logging.level, secrets=secrets)
    observers.stops.append(EventLog().attach(bus))
    from interlace.observability.tracing import is_configured

    otel = config.observability.otel
    if is_configured(otel):
        from interlace.observability.tracing import SpanRecorder, tracer_provider

        observers.tracer_provider = tracer_provider(otel)
        observers.stops.append(SpanRecorder(observers.tracer_provider.get_tracer("interlace")).attach(bus))
    return observers
