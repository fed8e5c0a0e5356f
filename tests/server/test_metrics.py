"""``GET /metrics`` on a real server: scraped during and after a real run, parsed with
prometheus_client's own parser."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from tests.server.conftest import SLOW_MODELS, Live


def _scrape(live: Live, scope: str | None = "read") -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """name -> {sorted labels: value} of every sample /metrics returns."""
    with live.client(scope) as c:
        response = c.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _value(samples: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


def test_metrics_during_and_after_a_run(live_factory: Callable[..., Live]) -> None:
    live = live_factory(SLOW_MODELS)
    before = _scrape(live)
    assert _value(before, "interlace_runs_active") == 0
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
    deadline = time.monotonic() + 60  # a guard against a hung run, not a timing assertion
    while True:
        during = _scrape(live)
        base_done = _value(during, "interlace_model_outcomes_total", model="base", status="success", trigger="api")
        if base_done == 1 and _value(during, "interlace_models_running") == 1:
            break  # base has finished and slow is building
        assert time.monotonic() < deadline, "the slow model never showed as running"
        time.sleep(0.05)
    assert _value(during, "interlace_runs_active") == 1
    assert _value(during, "interlace_runs_total", status="success", trigger="api") == 0

    assert live.wait_for_run(run_id)["status"] == "success"
    after = _scrape(live)
    assert _value(after, "interlace_runs_active") == 0
    assert _value(after, "interlace_models_running") == 0
    assert _value(after, "interlace_runs_total", status="success", trigger="api") == 1
    assert _value(after, "interlace_run_duration_seconds_count", status="success", trigger="api") == 1
    for model, materialize in (("base", "table"), ("slow", "table"), ("after_slow", "view")):
        assert _value(after, "interlace_model_outcomes_total", model=model, status="success", trigger="api") == 1
        assert _value(after, "interlace_model_duration_seconds_count", model=model, materialize=materialize,
                      status="success") == 1
    # the slow model sleeps 2 s: its observation lands above the 1 s bucket
    assert _value(after, "interlace_model_duration_seconds_bucket", model="slow", materialize="table",
                  status="success", le="1.0") == 0
    assert _value(after, "interlace_model_rows_total", model="base", operation="inserted") == 3
    assert _value(after, "interlace_model_rows_total", model="slow", operation="inserted") == 3
    # no label anywhere carries the run id
    assert not any(run_id in value for series in after.values() for labels in series for _, value in labels)
    # the API middleware saw the POST under its template and the status polls under theirs
    assert _value(after, "interlace_api_requests_total", route="/api/v1/runs", method="POST", status="202") == 1
    assert _value(after, "interlace_api_requests_total", route="/api/v1/runs/{run_id}", method="GET",
                  status="200") >= 1
    assert _value(after, "interlace_api_request_duration_seconds_count", route="/metrics", method="GET") >= 2


def test_model_failures_and_checks_are_counted(live_factory: Callable[..., Live]) -> None:
    live = live_factory({
        "models/numbers.sql": """
            -- @model(materialize="table", quality_checks=[{"not_null": "n"},
            --        {"unique": {"column": "k", "severity": "warn"}}])
            SELECT range AS n, 1 AS k FROM range(3)
        """,
        "models/broken.sql": """
            -- @model(materialize="table")
            SELECT no_such_column FROM numbers
        """,
        "models/after_broken.sql": """
            -- @model(materialize="view")
            SELECT * FROM broken
        """,
    })
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
    assert live.wait_for_run(run_id)["status"] == "failed"
    after = _scrape(live)
    assert _value(after, "interlace_runs_total", status="failed", trigger="api") == 1
    assert _value(after, "interlace_model_outcomes_total", model="broken", status="failed", trigger="api") == 1
    assert _value(after, "interlace_model_outcomes_total", model="after_broken", status="skipped",
                  trigger="api") == 1
    assert _value(after, "interlace_quality_checks_total", check_type="not_null", severity="error",
                  status="pass") == 1
    assert _value(after, "interlace_quality_checks_total", check_type="unique", severity="warn",
                  status="fail") == 1
    assert _value(after, "interlace_quality_failing_rows_total", check_type="unique", severity="warn") == 1


def test_metrics_need_a_key_unless_whitelisted(live_factory: Callable[..., Live]) -> None:
    guarded = live_factory(SLOW_MODELS, name="guarded")
    with guarded.client(None) as c:
        response = c.get("/metrics")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == (
        "this endpoint needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    assert _value(_scrape(guarded), "interlace_api_requests_total", route="/metrics", method="GET",
                  status="401") == 1

    open_ = live_factory(SLOW_MODELS, name="open", config="service:\n  auth:\n    whitelist: [/health, /metrics]\n")
    assert "interlace_runs_active" in _scrape(open_, scope=None)


def test_unmatched_paths_share_one_label(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        for path in ("/nope/1", "/nope/2", "/api/v1/models/x/y/z"):
            assert c.get(path).status_code == 404
    samples = _scrape(shop_live)
    assert _value(samples, "interlace_api_requests_total", route="<unmatched>", method="GET", status="404") == 3
