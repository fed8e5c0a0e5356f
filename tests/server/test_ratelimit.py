"""Token bucket per key: a burst beyond the bucket gets 429 RATE_LIMITED with Retry-After, and recovers."""

from __future__ import annotations

import time

import httpx

from interlace.server.api.ratelimit import RateLimiter

LIMITED = "name: shop\nservice:\n  rate_limit: {rate: 1, burst: 3}\n"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k") == 0.5  # one token arrives every 0.5 s
    assert limiter.take("other") == 0.0  # buckets are per key
    clock.now += 0.5
    assert limiter.take("k") == 0.0
    assert limiter.take("k") == 0.5
    clock.now += 60  # a long pause refills to the burst, never beyond
    assert [limiter.take("k") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]
    assert RateLimiter.retry_after(0.01) == "1" and RateLimiter.retry_after(1.2) == "2"


def test_burst_beyond_the_bucket_gets_429_then_recovers(live_factory) -> None:  # type: ignore[no-untyped-def]
    live = live_factory(config=LIMITED)
    with live.client("read") as client, live.client("run") as other:
        statuses = [client.get("/api/v1/models").status_code for _ in range(6)]
        assert statuses[:3] == [200, 200, 200]  # the bucket holds 3
        assert 429 in statuses[3:]
        limited = client.get("/api/v1/models")
        assert limited.status_code == 429
        error = limited.json()["error"]
        assert error["code"] == "RATE_LIMITED"
        assert error["request_id"] == limited.headers["x-request-id"]
        retry_after = int(limited.headers["retry-after"])
        assert retry_after >= 1 and error["details"] == {"retry_after": retry_after}
        assert other.get("/api/v1/models").status_code == 200  # another key has its own bucket
        time.sleep(retry_after)  # obey Retry-After, as a client should
        assert client.get("/api/v1/models").status_code == 200


def test_health_is_never_limited(live_factory) -> None:  # type: ignore[no-untyped-def]
    live = live_factory(config=LIMITED)
    assert {httpx.get(live.url + "/health").status_code for _ in range(10)} == {200}
