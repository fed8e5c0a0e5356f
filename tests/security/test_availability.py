"""Finding 6: a read key cannot take the server down.

Bodies are capped (413), selectors bounded, error bodies echo a bounded part of what was sent,
websocket messages are charged to the sender's bucket, and failed authentications are limited
per client address.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import httpx

from tests.security.conftest import Live, login, page_token, ws_connect

BIG = 2 * 1024 * 1024  # over the default service.max_body_bytes (1 MiB)


def test_a_body_over_the_limit_is_refused_with_413(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        response = c.post("/api/v1/plan", content=b"x" * BIG, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.json()["error"]["message"] == (f"the request body is {BIG} bytes; this server accepts at "
                                                   "most 1048576 (service.max_body_bytes)")
    assert len(response.content) < 1000  # nothing of the body comes back


def test_a_chunked_body_over_the_limit_is_refused_with_413(shop_live: Live) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(BIG // 65536):
            yield b"y" * 65536

    with shop_live.client("read") as c:
        response = c.post("/api/v1/plan", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE", "details": None, "request_id": response.headers["x-request-id"],
        "message": "the request body is larger than 1048576 bytes (service.max_body_bytes)"}


def test_an_unauthenticated_huge_body_is_refused_before_it_is_read(shop_live: Live) -> None:
    host, port = shop_live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        raw.sendall(f"POST /api/v1/runs HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode())
        answer = raw.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")


def test_selectors_are_bounded(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        response = c.post("/api/v1/plan", json={"select": ["a" * 600_000]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == "the request is not valid: body.select.0: String should have at most 512 characters"
    assert len(response.content) < 5000


def test_an_error_echoes_a_bounded_part_of_the_name(shop_live: Live) -> None:
    name = "n" * 12_000
    with shop_live.client("read") as c:
        response = c.get(f"/api/v1/no-such-endpoint/{name}")
    assert response.status_code == 404, response.text[:500]
    message = response.json()["error"]["message"]
    assert "… (" in message and "more characters)" in message
    assert len(response.content) < 5000


def test_websocket_messages_are_charged_to_the_senders_bucket(live_factory: Callable[..., Live]) -> None:
    config = "name: shop\nservice:\n  rate_limit: {rate: 2, burst: 20}\n"
    live = live_factory(dashboard=True, config=config)
    cookie = login(live, "read")
    _, token = page_token(live, cookie)
    with ws_connect(live, token, cookie=cookie) as ws:
        ws.recv(timeout=20)  # ACK
        for i in range(40):  # a flood of (harmless) messages from one session
            header = json.dumps({"msgid": f"flood-{i}", "msgtype": "PULL-DOC-REQ"})
            ws.send(header)
            ws.send("{}")
            ws.send("{}")
    # the flood spent this login's bucket: its next request waits its turn, other keys do not
    limited = httpx.get(live.url + "/api/v1/models", cookies={"interlace_session": cookie})
    assert limited.status_code == 429
    assert limited.json()["error"]["message"].startswith("too many requests for key 'test-read': retry in ")
    with live.client("run") as other:
        assert other.get("/api/v1/models").status_code == 200


def test_failed_keys_are_limited_per_client_address(live_factory: Callable[..., Live]) -> None:
    live = live_factory(config="name: shop\nservice:\n  rate_limit: {failed_auth_burst: 5, failed_auth_rate: 0.01}\n")
    bad = {"X-API-Key": "ilk_000000000000_" + "z" * 43}
    statuses = [httpx.get(live.url + "/api/v1/models", headers=bad).status_code for _ in range(8)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
    refused = httpx.get(live.url + "/api/v1/models", headers=bad)
    assert refused.json()["error"]["message"].startswith("too many failed authentications from 127.0.0.1: retry in ")
    assert int(refused.headers["retry-after"]) >= 1
    with live.client("read") as good:  # a valid key still works
        assert good.get("/api/v1/models").status_code == 200


def test_failed_logins_are_limited_per_client_address(live_factory: Callable[..., Live]) -> None:
    live = live_factory(config="name: shop\nservice:\n  rate_limit: {failed_auth_burst: 3, failed_auth_rate: 0.01}\n")
    statuses = [httpx.post(live.url + "/login", data={"key": f"guess-{i}"}).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    page = httpx.post(live.url + "/login", data={"key": "guess"})
    assert "Too many failed sign-ins: too many failed authentications from 127.0.0.1: retry in" in page.text
    assert "retry-after" in page.headers
