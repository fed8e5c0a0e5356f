"""OpenTelemetry spans from the event bus: run -> model nesting, attributes, export over OTLP/HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import interlace
from interlace.observability.tracing import SpanRecorder

FILES = {
    "models/numbers.sql": '-- @model(materialize="table")\nSELECT range AS n FROM range(4)\n',
    "models/doubled.py": (
        "from interlace import model\n\n\n@model(materialize=\"table\", strategy=\"replace\")\n"
        "def doubled(numbers):\n    return numbers.mutate(twice=numbers.n * 2)\n"),
    "models/broken.sql": '-- @model(materialize="table")\nSELECT missing_column FROM numbers\n',
    "models/after_broken.sql": '-- @model(materialize="view")\nSELECT * FROM broken\n',
}


def test_spans_nest_models_in_their_run(make_project: Callable[[dict[str, str]], Path],
                                        open_ws: Callable[..., interlace.Workspace]) -> None:
    ws = open_ws(make_project(FILES))
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    stop = SpanRecorder(provider.get_tracer("test")).attach(ws.events)
    result = ws.run()
    stop()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert sorted(spans) == ["interlace.model after_broken", "interlace.model broken", "interlace.model doubled",
                             "interlace.model numbers", "interlace.run"]
    run = spans["interlace.run"]
    assert run.parent is None
    assert run.attributes["interlace.run_id"] == result.run_id
    assert run.attributes["interlace.status"] == "failed"
    assert run.status.status_code is StatusCode.ERROR
    for name in ("numbers", "doubled", "broken", "after_broken"):
        span = spans[f"interlace.model {name}"]
        assert span.parent is not None and span.parent.span_id == run.context.span_id
        assert span.context.trace_id == run.context.trace_id
        assert run.start_time <= span.start_time <= span.end_time <= run.end_time
        assert span.attributes["interlace.model"] == name
    doubled = spans["interlace.model doubled"].attributes
    assert (doubled["interlace.strategy"], doubled["interlace.materialize"], doubled["interlace.rows"],
            doubled["interlace.status"], doubled["db.system.name"]) == ("replace", "table", 4, "success", "duckdb")
    broken = spans["interlace.model broken"]
    assert broken.attributes["interlace.status"] == "failed"
    assert broken.status.status_code is StatusCode.ERROR
    assert "missing_column" in (broken.status.description or "")
    assert spans["interlace.model after_broken"].attributes["interlace.status"] == "skipped"


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body, self.headers.get("X-Team", "")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def otlp_collector() -> Iterator[tuple[str, list[tuple[str, bytes, str]]]]:
    """A real HTTP endpoint on 127.0.0.1 that records what an OTLP exporter posts."""
    handler = type("Handler", (_Collector,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/traces", handler.received
    server.shutdown()
    server.server_close()


def test_spans_are_exported_where_the_config_says(make_project: Callable[[dict[str, str]], Path],
                                                  otlp_collector: tuple[str, list[tuple[str, bytes, str]]]) -> None:
    endpoint, received = otlp_collector
    files = {**FILES, "config.yaml": f"observability:\n  otel:\n    endpoint: {endpoint}\n"
                                     "    service_name: shop-pipeline\n    headers: {X-Team: data}\n"}
    del files["models/broken.sql"], files["models/after_broken.sql"]
    ws = interlace.open(make_project(files))
    try:
        ws.run()
    finally:
        ws.close()  # flushes the batched spans
    assert received and all(path == "/v1/traces" and team == "data" for path, _, team in received)
    names, services = [], set()
    for _, body, _ in received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"}
            names += [s.name for scope in resource_spans.scope_spans for s in scope.spans]
    assert services == {"shop-pipeline"}
    assert sorted(names) == ["interlace.model doubled", "interlace.model numbers", "interlace.run"]


def test_the_standard_otel_variables_turn_tracing_on(make_project: Callable[[dict[str, str]], Path],
                                                     otlp_collector: tuple[str, list[tuple[str, bytes, str]]],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, received = otlp_collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    files = {"models/numbers.sql": FILES["models/numbers.sql"]}
    ws = interlace.open(make_project(files))
    try:
        ws.run()
    finally:
        ws.close()
    spans = [s.name for _, body, _ in received for rs in ExportTraceServiceRequest.FromString(body).resource_spans
             for scope in rs.scope_spans for s in scope.spans]
    assert sorted(spans) == ["interlace.model numbers", "interlace.run"]


def test_no_tracing_without_config_or_variables(make_project: Callable[[dict[str, str]], Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    ws = interlace.open(make_project({"models/numbers.sql": FILES["models/numbers.sql"]}))
    try:
        assert ws.observers.tracer_provider is None
    finally:
        ws.close()
