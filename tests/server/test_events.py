"""``GET /api/v1/events``: run and model lifecycle events as SSE, with filters."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.server.conftest import Live


def _listen(live: Live, params: dict[str, Any], out: queue.Queue[Any], ready: threading.Event,
            last: Callable[[dict[str, Any]], bool]) -> None:
    """Collect SSE messages until ``last(event)`` (or the stream ends)."""
    with live.client("read", timeout=httpx.Timeout(60.0)) as client, \
            client.stream("GET", "/api/v1/events", params=params) as response:
        out.put(("status", response.status_code, response.headers["content-type"]))
        event: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event["type"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = line[6:]
            elif line == "" and event:
                data = json.loads(event["data"])
                assert data["type"] == event["type"]
                out.put(("event", data))
                event = {}
                if last(data):
                    return


def _collect(live: Live, params: dict[str, Any], select: list[str],
             last: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    out: queue.Queue[Any] = queue.Queue()
    ready = threading.Event()
    listener = threading.Thread(target=_listen, args=(live, params, out, ready, last), daemon=True)
    listener.start()
    assert ready.wait(30), "the event stream did not open"
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={"select": select}).json()["run_id"]
    listener.join(60)
    assert not listener.is_alive()
    items = []
    while not out.empty():
        items.append(out.get())
    assert items[0] == ("status", 200, "text/event-stream; charset=utf-8")
    events = [item[1] for item in items[1:]]
    assert all(e["run_id"] == run_id for e in events)
    return events


def test_events_follow_a_run(shop_live: Live) -> None:
    events = _collect(shop_live, {}, ["+customers"], lambda e: e["type"].startswith("run.") and e["type"] != "run.started")
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.finished"
    finished = [e["model"] for e in events if e["type"] == "model.finished"]
    assert sorted(finished) == sorted(["stg_customers", "stg_orders", "orders", "customers"])
    for model in finished:  # each model is queued, then started, then finished
        own = [e["type"] for e in events if e.get("model") == model and e["type"].startswith("model.")]
        assert own == ["model.queued", "model.started", "model.finished"]
    last = events[-1]
    assert last["status"] == "success" and last["succeeded"] == 4


def test_events_filter_by_type(shop_live: Live) -> None:
    events = _collect(shop_live, {"type": "model.finished"}, ["+customers"], lambda e: e["model"] == "customers")
    assert {e["type"] for e in events} == {"model.finished"}
    assert events[-1]["model"] == "customers"


def test_unknown_event_type_is_rejected(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        response = c.get("/api/v1/events", params={"type": "model.exploded"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == "unknown event type(s): model.exploded"
