"""The directory and Redis adapters under SIGKILL: a real `interlace serve`, killed mid-ingest twice.

After the last restart and the drain, every file's rows / every Redis entry is in the table exactly
once (by `_event_id`), and nothing is left pending in the consumer group. The server is the bench's
(bench/streams_load.py), started and killed the same way as in test_kill.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.streams.conftest import wait_for

BENCH = Path(__file__).resolve().parents[2] / "bench" / "streams_load.py"
SERVICE = """name: kill
service:
  auth:
    keys: [{name: load, env: STREAMS_LOAD_KEY, scope: run}]
"""
ROWS_PER_FILE = 10


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("streams_load", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["streams_load"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _stored(server: Any, stream: str) -> int:
    """Events the running server has committed to ``stream`` (0 while it is not answering)."""
    try:
        reply = httpx.get(f"{server.url}/api/v1/streams/{stream}", params={"last": 0},
                          headers={"Authorization": f"Bearer {_bench().KEY}"}, timeout=10)
    except httpx.TransportError:
        return 0
    return int(reply.json()["events"]) if reply.status_code == 200 else 0


def _ids(project: Path, sql: str) -> dict[str, int]:
    with duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True) as con:
        return {str(r[0]): int(r[1]) for r in con.execute(sql).fetchall()}


def _kill_twice(server: Any, stream: str, total: int, between: Callable[[int], None]) -> list[int]:
    """SIGKILL the server once a third and once two thirds of ``total`` are stored (``between``
    runs while it is down), restart it, and wait for all ``total``: the counts seen at each kill."""
    seen_at_kill = []
    for k, threshold in enumerate((total // 3, 2 * total // 3)):
        seen_at_kill.append(wait_for(lambda t=threshold: (n := _stored(server, stream)) >= t and n,
                                     f"{threshold} events before kill {k + 1}", 120))
        server.kill()
        between(k)
        server.start()
    try:
        wait_for(lambda: _stored(server, stream) >= total, f"all {total} events", 120)
    except AssertionError:
        raise AssertionError(f"after {len(seen_at_kill)} SIGKILLs only "
                             f"{_stored(server, stream)} of {total} events arrived") from None
    return seen_at_kill


def _write_file(inbox: Path, i: int) -> tuple[str, list[int]]:
    """File ``i`` of the inbox, JSONL, CSV or Parquet in turn; its name and the rows' ``n``."""
    ns = [i * ROWS_PER_FILE + r for r in range(ROWS_PER_FILE)]
    kind = ("jsonl", "csv", "parquet")[i % 3]
    path = inbox / f"batch-{i:04d}.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps({"file": i, "n": n}) + "\n" for n in ns))
    elif kind == "csv":
        path.write_text("file,n\n" + "".join(f"{i},{n}\n" for n in ns))
    else:
        pq.write_table(pa.table({"file": [i] * len(ns), "n": ns}), path)
    return path.name, ns


@pytest.mark.slow
def test_directory_files_are_ingested_exactly_once_across_two_sigkills(tmp_path: Path) -> None:
    bench = _bench()
    project, inbox = tmp_path / "p", tmp_path / "inbox"
    project.mkdir()
    inbox.mkdir()
    (project / "config.yaml").write_text(SERVICE + f"""streams:
  drops:
    trigger: false
    fields: {{file: bigint, n: bigint}}
    directory: {{path: {inbox}, poll_interval: 0.05}}
""")
    files = 200
    chunks = [range(0, 80), range(80, 140), range(140, files)]  # the last two land while it is down
    names: list[str] = []
    for i in chunks[0]:
        names.append(_write_file(inbox, i)[0])

    def while_down(k: int) -> None:
        names.extend(_write_file(inbox, i)[0] for i in chunks[k + 1])

    server = bench.Server(project, bench.free_port())
    server.start()
    try:
        seen = _kill_twice(server, "drops", files * ROWS_PER_FILE, while_down)
    finally:
        server.stop()
    assert all(n < files * ROWS_PER_FILE for n in seen), seen  # killed mid-ingest, not after it
    stored = _ids(project, "SELECT _event_id, count(*) FROM drops GROUP BY 1")
    expected = set()
    for name in names:
        digest = hashlib.sha256((inbox / name).read_bytes()).hexdigest()[:16]
        expected |= {f"{name}:{digest}:{r}" for r in range(ROWS_PER_FILE)}
    assert {k: v for k, v in stored.items() if v > 1} == {}, "events stored twice"
    assert expected - stored.keys() == set(), "events lost"
    assert stored.keys() == expected
    rows = _ids(project, "SELECT n, count(*) FROM drops GROUP BY 1")
    assert rows == {str(n): 1 for n in range(files * ROWS_PER_FILE)}
    recorded = _ids(project, "SELECT path, count(*) FROM interlace.stream_files GROUP BY 1")
    assert recorded == {name: 1 for name in names}  # each file recorded once, with its rows


@pytest.mark.slow
def test_redis_entries_are_stored_exactly_once_and_acked_across_two_sigkills(
        tmp_path: Path, redis_url: str) -> None:
    import redis

    bench = _bench()
    project = tmp_path / "p"
    project.mkdir()
    (project / "config.yaml").write_text(SERVICE + f"""streams:
  hits:
    trigger: false
    fields: {{n: bigint}}
    redis: {{url: "{redis_url}", key: clicks, batch_size: 50, block_ms: 100}}
""")
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    entry_ids: list[str] = []

    def add(numbers: range) -> None:
        pipe = r.pipeline()
        for n in numbers:
            pipe.xadd("clicks", {"data": json.dumps({"n": n})})
        entry_ids.extend(pipe.execute())

    total = 2000
    chunks = [range(0, 1400), range(1400, 1700), range(1700, total)]
    add(chunks[0])
    server = bench.Server(project, bench.free_port())
    server.start()
    try:
        seen = _kill_twice(server, "hits", total, lambda k: add(chunks[k + 1]))
        wait_for(lambda: r.xpending("clicks", "interlace")["pending"] == 0,
                 "every entry acknowledged", 60)
    finally:
        server.stop()
    assert all(n < total for n in seen), seen
    stored = _ids(project, "SELECT _event_id, count(*) FROM hits GROUP BY 1")
    assert {k: v for k, v in stored.items() if v > 1} == {}, "entries stored twice"
    expected = {f"redis:clicks:{e}" for e in entry_ids}
    assert expected - stored.keys() == set(), "entries lost"
    assert stored.keys() == expected
    assert r.xinfo_groups("clicks")[0]["last-delivered-id"] == entry_ids[-1]
    r.close()
