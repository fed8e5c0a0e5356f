"""The REST API over HTTP on 127.0.0.1: typed bodies, stable error codes, runs start/status/cancel."""

from __future__ import annotations

import dataclasses

import pytest

from interlace.options import PlanOptions, RunOptions
from interlace.server.api.schemas import PlanRequest, RunRequest
from tests.server.conftest import SLOW_MODELS, Live


def test_request_bodies_are_the_options_dataclasses() -> None:
    for options, body in ((RunOptions, RunRequest), (PlanOptions, PlanRequest)):
        assert list(body.model_fields) == [f.name for f in dataclasses.fields(options)]
        defaults = {f.name: f.default for f in dataclasses.fields(options)}
        assert {k: (tuple(v) if isinstance(v, list) else v) for k, v in body().model_dump().items()} == defaults


def test_plan_get_takes_every_plan_option(shop_live: Live) -> None:
    spec = shop_live.server.server.config.app.openapi()["paths"]["/api/v1/plan"]["get"]
    assert [p["name"] for p in spec["parameters"]] == [f.name for f in dataclasses.fields(PlanOptions)]


def test_models_list_filters_and_detail(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        every = c.get("/api/v1/models").json()
        assert every["total"] == 8
        names = [m["name"] for m in c.get("/api/v1/models", params={"tag": "finance"}).json()["models"]]
        assert names == ["daily_revenue", "payments_by_method"]
        both = c.get("/api/v1/models", params=[("tag", "marts"), ("tag", "finance")]).json()
        assert [m["name"] for m in both["models"]] == ["payments_by_method"]
        assert [m["name"] for m in c.get("/api/v1/models", params={"search": "ORDER HISTORY"}).json()["models"]] == [
            "customers"]
        assert c.get("/api/v1/models", params={"schema": "elsewhere"}).json() == {"total": 0, "models": []}
        page = c.get("/api/v1/models", params={"limit": 2, "offset": 2}).json()
        assert page["total"] == 8 and [m["name"] for m in page["models"]] == [m["name"] for m in every["models"][2:4]]
        detail = c.get("/api/v1/models/orders").json()
        graph = shop_live.workspace.graph()
        assert detail["upstream"] == list(graph.upstream["orders"]) and "stg_orders" in detail["upstream"]
        assert detail["downstream"] == list(graph.downstream["orders"]) and "customers" in detail["downstream"]
        assert detail["kind"] == "python" and detail["columns"] == []  # not built yet
        assert detail["origin"] == "models/marts/orders.py:8"


def test_errors_have_one_shape_and_stable_codes(shop_live: Live) -> None:
    with shop_live.client("admin", headers={"X-Request-ID": "trace-123"}) as c:
        missing = c.get("/api/v1/models/paymnts_by_method")
        assert missing.status_code == 404
        assert missing.json() == {"error": {
            "code": "MODEL_NOT_FOUND", "message": "no model named 'paymnts_by_method'. Did you mean 'payments_by_method'?",
            "details": {"hint": "run `interlace info` to list the models"}, "request_id": "trace-123"}}
        assert missing.headers["x-request-id"] == "trace-123"
        invalid = c.get("/api/v1/models", params={"limit": "lots"}).json()["error"]
        assert invalid["code"] == "VALIDATION_ERROR"
        assert invalid["details"][0]["location"] == ["query", "limit"]
        assert c.post("/api/v1/runs", content=b"{not json", headers={"content-type": "application/json"}
                      ).json()["error"]["code"] == "VALIDATION_ERROR"
        assert c.post("/api/v1/runs", json={"max_workers": 0}).status_code == 422
        assert c.post("/api/v1/runs", json={"unknown": 1}).status_code == 422
        assert c.get("/api/v1/nowhere").json()["error"]["code"] == "NOT_FOUND"
        assert c.put("/api/v1/models").json()["error"]["code"] == "METHOD_NOT_ALLOWED"
        assert c.get("/api/v1/runs/unknownrun").json()["error"]["code"] == "RUN_NOT_FOUND"
        window = c.post("/api/v1/plan", json={"since": "2026-02-01", "until": "2026-01-01"})
        assert window.status_code == 422 and window.json()["error"]["code"] == "VALIDATION_ERROR"


def test_plan_get_and_post_agree(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        got = c.get("/api/v1/plan", params=[("select", "customers"), ("exclude", "stg_customers")]).json()
        posted = c.post("/api/v1/plan", json={"select": ["customers"], "exclude": ["stg_customers"]}).json()
        assert got == posted
        assert got["selected"] == ["customers"]
        assert "customers" in got["explain"]


def test_run_lifecycle_then_columns_history_preview(shop_live: Live) -> None:
    with shop_live.client("run") as c:
        before = c.get("/api/v1/models/orders/preview")
        assert before.status_code == 409 and before.json()["error"]["code"] == "MODEL_NOT_BUILT"
        ephemeral = c.get("/api/v1/models/stg_payments/preview").json()["error"]
        assert ephemeral["code"] == "MODEL_NOT_MATERIALIZED"
        started = c.post("/api/v1/runs", json={"select": ["+customers"]})
        assert started.status_code == 202
        run_id = started.json()["run_id"]
        assert [s["model"] for s in started.json()["plan"]["steps"] if s["action"] == "build"] == [
            "stg_customers", "stg_orders", "orders", "customers"]
        run = shop_live.wait_for_run(run_id)
        assert run["status"] == "success" and run["trigger"] == "api:test-run"
        assert sorted(m["model"] for m in run["model_runs"]) == ["customers", "orders", "stg_customers", "stg_orders"]
        assert c.get(f"/api/v1/runs/{run_id}/models").json()["model_runs"] == run["model_runs"]
        assert c.get("/api/v1/runs").json()["runs"][0]["run_id"] == run_id
        columns = c.get("/api/v1/models/customers/columns").json()
        assert columns["built"] and columns["columns"][0] == {"name": "customer_id", "type": "BIGINT"}
        history = c.get("/api/v1/models/customers/schema-history").json()["versions"]
        assert [v["version"] for v in history] == [1] and history[0]["changes"] == {"created": True}
        preview = c.get("/api/v1/models/orders/preview", params={"limit": 2}).json()
        assert len(preview["rows"]) == 2 and preview["rows"][0]["order_id"] == 1
        assert preview["rows"][0]["order_date"] == "2026-01-15"
        runs = c.get("/api/v1/models/orders/runs").json()["model_runs"]
        assert [r["status"] for r in runs] == ["success"]
        done = c.post(f"/api/v1/runs/{run_id}/cancel")
        assert done.status_code == 409 and done.json()["error"]["code"] == "RUN_NOT_ACTIVE"


@pytest.mark.slow
def test_one_run_at_a_time_and_cancel(live_factory) -> None:  # type: ignore[no-untyped-def]
    live = live_factory(SLOW_MODELS)
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
        busy = c.post("/api/v1/runs", json={})
        assert busy.status_code == 409
        assert busy.json()["error"]["code"] == "RUN_IN_PROGRESS"
        assert busy.json()["error"]["details"] == {
            "run_id": run_id, "hint": "wait for it to finish, cancel it, or use the 'queue' run policy (run.policy: queue)"}
        assert c.get(f"/api/v1/runs/{run_id}").json()["active"] is True
        cancelled = c.post(f"/api/v1/runs/{run_id}/cancel")
        assert cancelled.status_code == 202 and cancelled.json() == {"run_id": run_id, "status": "cancelling"}
        run = live.wait_for_run(run_id)
        assert run["status"] == "cancelled"
        after = {m["model"]: m["status"] for m in run["model_runs"]}
        assert after["after_slow"] == "cancelled"  # queued behind the slow model: never started
        assert c.post("/api/v1/runs", json={"select": ["base"]}).status_code == 202  # free again


def test_graph_and_validation(shop_live: Live, live_factory) -> None:  # type: ignore[no-untyped-def]
    with shop_live.client("read") as c:
        graph = c.get("/api/v1/graph").json()
        assert {"source": "stg_orders", "target": "orders"} in graph["edges"]
        assert len(graph["nodes"]) == 8 and graph["order"].index("orders") < graph["order"].index("customers")
        assert c.get("/api/v1/graph/validate").json() == {"valid": True, "models": 8, "problems": []}
    broken = live_factory({"models/a.sql": "SELECT * FROM b", "models/b.sql": "SELECT * FROM a"}, name="cycle")
    with broken.client("read") as c:
        report = c.get("/api/v1/graph/validate").json()
        assert report["valid"] is False and report["problems"][0]["code"] == "CYCLE"
        graph = c.get("/api/v1/graph")
        assert graph.status_code == 409 and graph.json()["error"]["code"] == "CYCLE"


def test_project_info_and_health(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        project = c.get("/api/v1/project").json()
        assert project["name"] == "shop" and project["env"] == "dev" and project["config_files"] == ["config.yaml"]
        info = c.get("/api/v1/info").json()
        assert info["models"] == 8 and info["last_run"] is None
        health = c.get("/api/v1/health").json()
        assert health["status"] == "ok" and health["warehouse"] and health["project"]


def test_openapi_document_is_complete(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        doc = c.get("/api/openapi.json").json()
        page = c.get("/api/docs").text
    assert 'src="/api/docs/assets/swagger-ui-bundle.js"' in page and "http" not in page.split("<body>")[1]
    paths = doc["paths"]
    for path in ("/health", "/api/v1/models", "/api/v1/models/{name}", "/api/v1/models/{name}/columns",
                 "/api/v1/models/{name}/schema-history", "/api/v1/models/{name}/runs",
                 "/api/v1/models/{name}/preview", "/api/v1/graph", "/api/v1/graph/validate", "/api/v1/plan",
                 "/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/models",
                 "/api/v1/runs/{run_id}/cancel", "/api/v1/events", "/api/v1/project", "/api/v1/info",
                 "/api/v1/keys", "/api/v1/keys/{name}"):
        assert path in paths, path
    run = paths["/api/v1/runs"]["post"]
    assert run["x-required-scope"] == "run"
    assert run["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {"202", "401", "403", "404", "409", "422", "429"} <= set(run["responses"])
    assert run["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert paths["/health"]["get"]["security"] == []
    assert doc["components"]["schemas"]["ErrorBody"]["required"] == ["error"]


def test_quality_and_lineage_endpoints(shop_live: Live) -> None:
    with shop_live.client("run") as c:
        assert c.post("/api/v1/runs", json={}).status_code == 202
        import time

        for _ in range(300):
            runs = c.get("/api/v1/runs").json()["runs"]
            if runs and runs[0]["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert runs[0]["status"] == "success"
        results = c.get("/api/v1/models/stg_orders/quality").json()["results"]
        warned = next(r for r in results if r["check_name"] == "accepted_values(status)")
        assert (warned["status"], warned["severity"], warned["failing"]) == ("fail", "warn", 45)
        assert len(warned["samples"]) == 10 and warned["samples"][0]["status"] == "return_pending"
        every = c.get("/api/v1/quality").json()["results"]
        assert {r["model"] for r in every} >= {"stg_orders", "orders", "customers"}
        tree = c.get("/api/v1/models/customers/lineage", params={"column": "customer_lifetime_value"}).json()
        [root] = tree["trees"]
        assert (root["children"][0]["relation"], root["children"][0]["column"]) == ("orders", "amount")
        assert root["children"][0]["children"][0]["relation"] == "seeds/raw_payments.csv"
        down = c.get("/api/v1/models/orders/lineage", params={"column": "amount", "direction": "downstream"}).json()
        assert {n["relation"] for n in down["trees"][0]["children"]} == {"customers", "daily_revenue"}
        edges = c.get("/api/v1/lineage").json()["edges"]
        assert {"model": "customers", "column": "customer_lifetime_value", "source": "orders",
                "source_column": "amount", "kind": "value"} in edges
        unknown = c.get("/api/v1/models/customers/lineage", params={"column": "lifetime"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "MODEL_NOT_FOUND"
        assert c.get("/api/v1/models/nope/quality").status_code == 404
        assert c.post("/api/v1/lineage/refresh").status_code == 200
