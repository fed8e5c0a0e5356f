"""``MetricsCollector`` on a bus of its own: bounded labels, subclass events, no state reads."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from interlace.events import (
    CheckFinished,
    EventBus,
    ModelFailed,
    ModelFinished,
    ModelSkipped,
    ModelStarted,
    RunCancelled,
    RunStarted,
)
from interlace.observability.metrics import MetricsCollector, trigger_kind


def test_trigger_kinds_are_bounded() -> None:
    assert [trigger_kind(t) for t in ("api:ci-key", "schedule:nightly", "cli", None, "made-up:x", "")] == [
        "api", "schedule", "cli", "unknown", "other", "unknown"]


def test_events_become_series() -> None:
    bus, metrics = EventBus(), MetricsCollector()
    stop = metrics.attach(bus)
    bus.emit(RunStarted(run_id="r1", models=("a", "b", "c"), trigger="schedule:nightly"))
    bus.emit(ModelStarted(run_id="r1", model="a", materialize="table", strategy="merge_by_key"))
    bus.emit(ModelFinished(run_id="r1", model="a", materialize="table", rows=10, inserted=7, updated=3,
                           duration_ms=1500.0))
    bus.emit(CheckFinished(run_id="r1", model="a", check="unique(id)", check_type="unique", status="fail",
                           failing=2, severity="warn"))
    bus.emit(ModelStarted(run_id="r1", model="b", materialize="view"))
    bus.emit(ModelFailed(run_id="r1", model="b", materialize="view", duration_ms=5.0))
    bus.emit(ModelSkipped(run_id="r1", model="c", status="cancelled"))
    bus.emit(RunCancelled(run_id="r1", duration_s=2.0))
    stop()
    bus.emit(RunStarted(run_id="r2", trigger="cli"))  # after stop(): not counted
    r = metrics.registry
    value = r.get_sample_value
    assert value("interlace_runs_total", {"status": "cancelled", "trigger": "schedule"}) == 1
    assert value("interlace_runs_active") == 0 and value("interlace_models_running") == 0
    assert value("interlace_model_outcomes_total", {"model": "a", "status": "success", "trigger": "schedule"}) == 1
    assert value("interlace_model_outcomes_total", {"model": "b", "status": "failed", "trigger": "schedule"}) == 1
    assert value("interlace_model_outcomes_total", {"model": "c", "status": "cancelled", "trigger": "schedule"}) == 1
    assert value("interlace_model_rows_total", {"model": "a", "operation": "inserted"}) == 7
    assert value("interlace_model_rows_total", {"model": "a", "operation": "updated"}) == 3
    assert value("interlace_model_rows_total", {"model": "a", "operation": "written"}) is None
    assert value("interlace_model_duration_seconds_sum", {"model": "a", "materialize": "table",
                                                          "status": "success"}) == 1.5
    assert value("interlace_model_duration_seconds_count", {"model": "c", "materialize": "unknown",
                                                            "status": "cancelled"}) is None  # no duration
    assert value("interlace_quality_checks_total", {"check_type": "unique", "severity": "warn", "status": "fail"}) == 1
    assert value("interlace_quality_failing_rows_total", {"check_type": "unique", "severity": "warn"}) == 2
    assert value("interlace_runs_total", {"status": "success", "trigger": "cli"}) is None
    names = {f.name for f in text_string_to_metric_families(metrics.exposition().decode())}
    assert all(n.startswith("interlace_") for n in names)
    assert {"interlace_runs", "interlace_model_duration_seconds", "interlace_quality_checks"} <= names


def test_a_run_that_ended_without_its_models_does_not_leave_them_running() -> None:
    metrics = MetricsCollector()
    metrics.observe(RunStarted(run_id="r1", models=("a",), trigger="api:k"))
    metrics.observe(ModelStarted(run_id="r1", model="a"))
    assert metrics.registry.get_sample_value("interlace_models_running") == 1
    metrics.observe(RunCancelled(run_id="r1"))
    assert metrics.registry.get_sample_value("interlace_models_running") == 0
    assert metrics.registry.get_sample_value("interlace_runs_active") == 0
