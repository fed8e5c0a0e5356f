"""The streams API over real HTTP on 127.0.0.1: publish, auth and limits, consume/ack, SSE."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx

from tests.server.conftest import Live, live_factory  # noqa: F401 - the fixture

CONFIG = """
name: s
streams:
  clicks:
    trigger: false
  orders:
    fields: {id: bigint}
    auth: {publish_scope: admin}
  limited:
    rate_limit: {rate: 0.001, burst: 2}
  named:
    auth: {keys: [test-run]}
"""

Factory = Callable[..., Live]


def _live(live_factory: Factory) -> Live:  # noqa: F811
    return live_factory({"models/.keep": ""}, config=CONFIG)


def test_publish_object_array_and_ndjson(live_factory: Factory) -> None:  # noqa: F811
    live = _live(live_factory)
    with live.client("run") as c:
        one = c.post("/api/v1/streams/clicks", json={"_event_id": "a", "url": "/a"})
        assert one.status_code == 200, one.text
        assert one.json() == {"stream": "clicks", "accepted": 1, "duplicates": 0, "dead_lettered": 0,
                              "first_offset": 1, "last_offset": 1, "invalid": []}
        many = c.post("/api/v1/streams/clicks", json=[{"_event_id": "a", "url": "/a"}, {"url": "/b"}])
        assert (many.json()["accepted"], many.json()["duplicates"]) == (1, 1)
        nd = c.post("/api/v1/streams/clicks", content=b'{"url": "/c"}\n\n{"url": "/d"}\n',
                    headers={"Content-Type": "application/x-ndjson"})
        assert nd.json()["accepted"] == 2
        bad = c.post("/api/v1/streams/clicks", content=b'{"url": "/c"}\n{nope\n')
        assert bad.status_code == 422
        assert bad.json()["error"]["message"].startswith("NDJSON line 2 is not JSON")
        empty = c.post("/api/v1/streams/clicks", content=b"")
        assert empty.status_code == 422 and "the request body is empty" in empty.text
        listing = c.get("/api/v1/streams").json()["streams"]
        assert [s["name"] for s in listing] == ["clicks", "limited", "named", "orders"]
        detail = c.get("/api/v1/streams/clicks", params={"last": 2}).json()
        assert detail["events"] == 4 and [e["url"] for e in detail["last_events"]] == ["/c", "/d"]
        missing = c.get("/api/v1/streams/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "STREAM_NOT_FOUND"
    rows = live.workspace.sql("SELECT url, _source FROM clicks ORDER BY _offset").fetchall()
    assert rows == [("/a", "http:test-run"), ("/b", "http:test-run"), ("/c", "http:test-run"),
                    ("/d", "http:test-run")]


def test_invalid_events_answer_422_with_field_and_reason(live_factory: Factory) -> None:  # noqa: F811
    live = _live(live_factory)
    with live.client("admin") as c:
        r = c.post("/api/v1/streams/orders", json=[{"id": 1}, {"id": "x"}])
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "STREAM_EVENT_INVALID"
    assert error["details"]["invalid"] == [
        {"index": 1, "field": "id", "reason": 'expected BIGINT, got VARCHAR "x" (values are never cast)'}]
    assert live.workspace.sql("SELECT count(*) FROM orders").fetchall() == [(0,)]


def test_per_stream_scopes_keys_and_rate_limits(live_factory: Factory) -> None:  # noqa: F811
    live = _live(live_factory)
    with httpx.Client(base_url=live.url) as anonymous:
        assert anonymous.post("/api/v1/streams/clicks", json={}).status_code == 401
    with live.client("read") as c:
        r = c.post("/api/v1/streams/clicks", json={"a": 1})
        assert r.status_code == 403
        assert "to publish stream 'clicks' it needs 'run'" in r.json()["error"]["message"]
    with live.client("run") as c:
        r = c.post("/api/v1/streams/orders", json={"id": 1})
        assert r.status_code == 403 and "streams.orders.auth.publish_scope" in r.text
        assert c.post("/api/v1/streams/named", json={"a": 1}).status_code == 200
        codes = [c.post("/api/v1/streams/limited", json={"a": 1}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = c.post("/api/v1/streams/limited", json={"a": 1})
        assert limited.headers["Retry-After"].isdigit()
        assert "stream 'limited' accepts 0.001 requests/s per key" in limited.json()["error"]["message"]
    with live.client("admin") as c:
        r = c.post("/api/v1/streams/named", json={"a": 1})
        assert r.status_code == 403 and "streams.named.auth.keys lists test-run" in r.text


def test_consume_and_ack_over_http(live_factory: Factory) -> None:  # noqa: F811
    live = _live(live_factory)
    with live.client("run") as c:
        c.post("/api/v1/streams/clicks", json=[{"n": i} for i in range(3)])
        got = c.post("/api/v1/streams/clicks/consume", json={"consumer": "x", "batch_size": 2}).json()
        assert [e["n"] for e in got["events"]] == [0, 1]
        acked = c.post("/api/v1/streams/clicks/ack", json={"consumer": "x", "up_to": 2})
        assert acked.json() == {"consumer": "x", "acked_offset": 2}
        over = c.post("/api/v1/streams/clicks/ack", json={"consumer": "x", "up_to": 50})
        assert over.status_code == 409 and "cannot acknowledge offset 50" in over.text
        rest = c.post("/api/v1/streams/clicks/consume", json={"consumer": "x"}).json()["events"]
        assert [e["n"] for e in rest] == [2]
        detail = c.get("/api/v1/streams/clicks").json()
        assert detail["consumers"][0]["lag"] == 1 and detail["consumers"][0]["in_flight"] == 1


def test_subscribe_streams_new_events(live_factory: Factory) -> None:  # noqa: F811
    live = _live(live_factory)
    received: list[dict[str, object]] = []
    connected = threading.Event()

    def listen() -> None:
        with live.client("read", timeout=30) as c, \
                c.stream("GET", "/api/v1/streams/clicks/subscribe", params={"after": 0}) as r:
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    connected.set()
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if len(received) == 3:
                        return

    with live.client("run") as c:
        c.post("/api/v1/streams/clicks", json={"n": 0})
        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert connected.wait(30)
        c.post("/api/v1/streams/clicks", json=[{"n": 1}, {"n": 2}])
        thread.join(30)
    assert [e["n"] for e in received] == [0, 1, 2]
    assert [e["_offset"] for e in received] == [1, 2, 3]
