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
