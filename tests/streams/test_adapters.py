"""Stream adapters against real things: files on disk, an HTTP endpoint, a real redis-server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import interlace
from tests.streams.conftest import wait_for

Open = Callable[..., interlace.Workspace]


def _count(ws: interlace.Workspace, table: str) -> int:
    return int(ws.streams._rows(f"SELECT count(*) AS n FROM {table}", [])[0]["n"])


def test_directory_ingests_each_file_exactly_once_across_restarts(open_streams: Open,
                                                                  tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = f"""name: p
streams:
  drops:
    fields: {{id: bigint, name: varchar}}
    trigger: false
    directory: {{path: {inbox}, poll_interval: 0.05}}
"""
    (inbox / "a.jsonl").write_text('{"id": 1, "name": "x"}\n{"id": 2, "name": "y"}\n')
    (inbox / "b.csv").write_text("id,name\n3,z\n4,w\n")
    pq.write_table(pa.table({"id": [5, 6], "name": ["p", "q"]}), inbox / "c.parquet")
    (inbox / "bad.jsonl").write_text('{"id": "seven"}\n{"id": 8}\n')
    (inbox / "ignored.txt").write_text("not a data file")
    ws = open_streams(config=config, files={})
    ws.streams.start()
    wait_for(lambda: _count(ws, "drops") == 7, "7 rows from 4 files")
    ids = [r["id"] for r in ws.streams.tail("drops", 100)]
    assert sorted(ids) == [1, 2, 3, 4, 5, 6, 8]
    [dead] = ws.streams.dead_letters("drops")
    assert "field 'id': expected BIGINT, got VARCHAR \"seven\"" in dead.reason
    assert dead.source == "file:bad.jsonl"
    ws.close()
    ws = open_streams(config=config, files={})  # a restart: every file is already recorded
    ws.streams.start()
    (inbox / "d.jsonl").write_text('{"id": 9, "name": "new"}\n')
    wait_for(lambda: _count(ws, "drops") == 8, "the new file")
    (inbox / "a.jsonl").write_text('{"id": 10, "name": "rewritten"}\n')  # new content: new file
    wait_for(lambda: _count(ws, "drops") == 9, "the rewritten file")
    [adapter] = ws.streams._adapters
    # counted after the commit the rows came with: the only files read after the restart
    wait_for(lambda: adapter.ingested == 2, "the adapter to count the two files")
    assert adapter.last_error is None
    files = ws.streams._rows("SELECT path, events FROM interlace.stream_files ORDER BY path, "
                             "ingested_at", [])
    assert [(f["path"], f["events"]) for f in files] == [
        ("a.jsonl", 2), ("a.jsonl", 1), ("b.csv", 2), ("bad.jsonl", 2), ("c.parquet", 2),
        ("d.jsonl", 1)]


class _Hook(BaseHTTPRequestHandler):
    fail_first = 0
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = 500 if len(type(self).received) <= type(self).fail_first else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _hook_server(fail_first: int) -> tuple[ThreadingHTTPServer, type[_Hook]]:
    handler = type("Hook", (_Hook,), {"fail_first": fail_first, "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


def test_outbound_webhook_signs_retries_and_dead_letters(open_streams: Open,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    flaky, flaky_log = _hook_server(fail_first=2)
    down, down_log = _hook_server(fail_first=10**6)
    config = f"""name: p
streams:
  out:
    trigger: false
    webhooks:
      - {{url: "http://127.0.0.1:{flaky.server_port}/in", secret_env: HOOK_SECRET, backoff: 0.05}}
      - {{url: "http://127.0.0.1:{down.server_port}/in", secret_env: HOOK_SECRET, backoff: 0.01,
         max_attempts: 2}}
"""
    try:
        ws = open_streams(config=config, files={})
        ws.publish("out", [{"n": 1}, {"n": 2}])
        ws.streams.start()
        wait_for(lambda: len(flaky_log.received) >= 3, "the flaky hook to succeed")
        wait_for(lambda: len(ws.streams.dead_letters("out")) == 2, "the dead hook's dead letters")
    finally:
        flaky.shutdown()
        down.shutdown()
    headers, body = flaky_log.received[-1]
    assert [e["n"] for e in json.loads(body)] == [1, 2]
    stamp = headers["X-Interlace-Timestamp"]
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Interlace-Signature"] == f"sha256={expected}"
    assert headers["X-Interlace-Stream"] == "out"
    assert len(down_log.received) == 2  # max_attempts, then given up
    dead = ws.streams.dead_letters("out")
    assert all("failed 2 times: HTTP 500" in d.reason for d in dead)
    lag = {c.consumer: c.lag for c in ws.streams.consumers("out")}
    assert set(lag.values()) == {0}  # both moved on: one delivered, one dead-lettered


def test_webhook_without_its_secret_says_which_variable(open_streams: Open,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    ws = open_streams(config="name: p\nstreams:\n  out:\n    webhooks:\n"
                             "      - {url: 'http://127.0.0.1:9/x', secret_env: NO_SUCH_SECRET}\n",
                      files={})
    with pytest.raises(interlace.ConfigError, match="environment variable NO_SUCH_SECRET"):
        ws.streams.start()


def test_redis_stream_consumer_group_acks_after_commit(open_streams: Open, redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xgroup_create("clicks", "interlace", id="0", mkstream=True)
    ids = [r.xadd("clicks", {"url": f"/{i}"}) for i in range(3)]
    # a crash before the commit: read by the adapter's consumer, never acknowledged
    r.xreadgroup("interlace", "interlace-1", {"clicks": ">"}, count=2)
    # a crash after the commit, before XACK: the events are stored, the entry still pending
    config = f"""name: p
streams:
  hits:
    trigger: false
    redis: {{url: "{redis_url}", key: clicks, block_ms: 100}}
"""
    ws = open_streams(config=config, files={})
    ws.publish("hits", {"_event_id": f"redis:clicks:{ids[0]}", "url": "/0"})
    r.xadd("clicks", {"data": json.dumps({"url": "/json", "n": 1})})
    ws.streams.start()
    wait_for(lambda: _count(ws, "hits") == 4, "4 distinct events")
    wait_for(lambda: r.xpending("clicks", "interlace")["pending"] == 0, "every entry acknowledged")
    rows = ws.streams._rows("SELECT _event_id, url, n, _source FROM hits ORDER BY _offset", [])
    assert sorted(row["url"] for row in rows) == ["/0", "/1", "/2", "/json"]
    assert len({row["_event_id"] for row in rows}) == 4
    assert {row["_source"] for row in rows[1:]} == {"redis:clicks"}
    ws.close()
    ws = open_streams(config=config, files={})  # a restart reads only what is new
    r.xadd("clicks", {"url": "/after"})
    ws.streams.start()
    wait_for(lambda: _count(ws, "hits") == 5, "the entry added after the restart")
    r.close()
