"""Streams under load and SIGKILL: no acknowledged event lost, none stored twice.

    .venv/bin/python bench/streams_load.py [--events 100000] [--clients 20] [--kills 3] [--batch 50]

Starts the real `interlace serve` (a separate process) over a fresh project with one stream and a
model reading it; --clients threads POST --events events (batches of --batch; each event has its
own `_event_id`) to 127.0.0.1 and retry a batch until it is answered 2xx; meanwhile the server is
SIGKILLed and restarted --kills times, and one HTTP consumer consumes and acknowledges. Then it
checks, on the warehouse: every 2xx-acknowledged `_event_id` is in the table exactly once, the
consumer saw every event at least once. It also measures the ingest rate with --batch and with
single-event requests (no kills), and publish → model-built latency (a triggered run).

`run_load()` is also the suite's small kill test (tests/streams/test_kill.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

KEY = "streams-load-key-0123456789abcdef"
CONFIG = """name: streams_load
run:
  max_workers: 2
service:
  auth:
    keys: [{name: load, env: STREAMS_LOAD_KEY, scope: run}]
  rate_limit: {rate: 1000000, burst: 1000000}
  max_body_bytes: 16777216
streams:
  events:
    debounce: 0.5
    visibility_timeout: 5s
    fields: {client: bigint, n: bigint, payload: varchar}
"""
MODEL = """-- @model(materialize="table")
SELECT count(*) AS events, max(_offset) AS last_offset FROM events
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_project(root: Path) -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(CONFIG)
    (root / "models" / "event_counts.sql").write_text(MODEL)
    return root


@dataclass
class Server:
    """`interlace serve` on a fixed port, killed and restarted at will."""

    project: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "STREAMS_LOAD_KEY": KEY, "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interlace", "serve", "--no-dashboard", "--port", str(self.port),
             "--log-level", "warning", "-d", str(self.project)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"interlace serve exited with {self.process.returncode}: {err}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("interlace serve did not become healthy within 120s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        if self.process.stderr:
            self.process.stderr.close()
        self.restarts += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def _send_until_acknowledged(client: httpx.Client, url: str, batch: list[dict[str, Any]],
                             stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            reply = client.post(url, json=batch if len(batch) > 1 else batch[0])
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        if reply.status_code == 200:
            return True
        if reply.status_code in (422, 401, 403, 404):
            raise AssertionError(f"the server refused a valid batch: {reply.status_code} {reply.text}")
        time.sleep(0.05)  # 5xx / 503 while the warehouse reopens: the same batch again
    return False


def publish_all(server: Server, *, events: int, clients: int, batch: int,
                on_progress: Callable[[int], None] | None = None,
                stop: threading.Event | None = None) -> tuple[set[str], float]:
    """POST ``events`` events from ``clients`` threads; the ids acknowledged 2xx, and seconds."""
    stop = stop or threading.Event()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    per_client = events // clients

    def client_main(c: int) -> None:
        with httpx.Client(headers=_headers(), timeout=30) as client:
            for start in range(0, per_client, batch):
                chunk = [{"_event_id": f"c{c}-{n}", "client": c, "n": n, "payload": "x" * 32}
                         for n in range(start, min(start + batch, per_client))]
                if not _send_until_acknowledged(client, server.url + "/api/v1/streams/events",
                                                chunk, stop):
                    return
                with lock:
                    acknowledged.update(e["_event_id"] for e in chunk)
                    count = len(acknowledged)
                if on_progress is not None:
                    on_progress(count)

    began = time.perf_counter()
    threads = [threading.Thread(target=client_main, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acknowledged, time.perf_counter() - began


def consume_all(server: Server, stop: threading.Event, seen: dict[str, int]) -> None:
    """An HTTP consumer: consume, remember, acknowledge; survives the server's restarts."""
    with httpx.Client(headers=_headers(), timeout=30) as client:
        while not stop.is_set():
            try:
                got = client.post(server.url + "/api/v1/streams/events/consume",
                                  json={"consumer": "checker", "batch_size": 2000})
                if got.status_code != 200:
                    time.sleep(0.05)
                    continue
                events = got.json()["events"]
                for e in events:
                    seen[e["_event_id"]] = seen.get(e["_event_id"], 0) + 1
                if not events:
                    time.sleep(0.05)
                    continue
                client.post(server.url + "/api/v1/streams/events/ack",
                            json={"consumer": "checker", "up_to": events[-1]["_offset"]})
            except httpx.TransportError:
                time.sleep(0.05)


def run_load(root: Path, *, events: int, clients: int, kills: int, batch: int) -> dict[str, Any]:
    """The kill test: see the module docstring. Raises AssertionError on a lost or doubled event."""
    server = Server(make_project(root), free_port())
    server.start()
    thresholds = [events * (k + 1) // (kills + 1) for k in range(kills)]
    kill_now = threading.Event()

    def progress(count: int) -> None:
        if thresholds and count >= thresholds[0]:
            thresholds.pop(0)
            kill_now.set()

    done, consumer_stop = threading.Event(), threading.Event()

    def killer() -> None:
        while not done.is_set():
            if kill_now.wait(0.05):
                kill_now.clear()
                server.kill()
                server.start()

    seen: dict[str, int] = {}
    killer_thread = threading.Thread(target=killer, daemon=True)
    consumer = threading.Thread(target=consume_all, args=(server, consumer_stop, seen), daemon=True)
    killer_thread.start()
    consumer.start()
    try:
        acknowledged, seconds = publish_all(server, events=events, clients=clients, batch=batch,
                                            on_progress=progress)
        done.set()
        killer_thread.join(180)
        deadline = time.monotonic() + 120
        while len(acknowledged - seen.keys()) and time.monotonic() < deadline:
            time.sleep(0.1)
        consumer_stop.set()
        consumer.join(60)
    finally:
        done.set()
        consumer_stop.set()
        server.stop()
    stored = _stored_ids(server.project)
    doubled = {k: v for k, v in stored.items() if v > 1}
    lost = acknowledged - stored.keys()
    unseen = acknowledged - seen.keys()
    assert not doubled, f"{len(doubled)} event ids stored more than once, e.g. {list(doubled)[:3]}"
    assert not lost, f"{len(lost)} acknowledged events missing, e.g. {sorted(lost)[:3]}"
    assert not unseen, f"the consumer never saw {len(unseen)} events, e.g. {sorted(unseen)[:3]}"
    return {"events": len(acknowledged), "stored": len(stored), "kills": server.restarts,
            "seconds": seconds, "rate": len(acknowledged) / seconds,
            "redelivered": sum(v - 1 for v in seen.values())}


def _stored_ids(project: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT _event_id, count(*) FROM events GROUP BY 1").fetchall()
    return {r[0]: int(r[1]) for r in rows}


def ingest_rate(root: Path, *, events: int, clients: int, batch: int) -> float:
    server = Server(make_project(root), free_port())
    server.start()
    try:
        acknowledged, seconds = publish_all(server, events=events, clients=clients, batch=batch)
    finally:
        server.stop()
    return len(acknowledged) / seconds


def model_latency(root: Path, *, samples: int) -> list[float]:
    """Seconds from a publish's 2xx to the triggered run's table showing the event."""
    server = Server(make_project(root), free_port())
    server.start()
    out = []
    try:
        with httpx.Client(base_url=server.url, headers=_headers(), timeout=30) as c:
            for i in range(samples):
                time.sleep(0.6)  # past the debounce window: measure a run, not a wait
                reply = c.post("/api/v1/streams/events", json={"client": 0, "n": i, "payload": "l"})
                reply.raise_for_status()
                t0, offset = time.perf_counter(), reply.json()["last_offset"]
                while True:
                    rows = c.get("/api/v1/models/event_counts/preview").json().get("rows", [])
                    if rows and (rows[0].get("last_offset") or 0) >= offset:
                        break
                    time.sleep(0.005)
                out.append(time.perf_counter() - t0)
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--single-events", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from benchkit import DATA_DIR, machine_info, remove

    base = DATA_DIR / "streams"
    remove(base)
    print(machine_info())
    result = run_load(base / "kill", events=args.events, clients=args.clients, kills=args.kills,
                      batch=args.batch)
    print(f"kill test: {result['events']:,} events acknowledged, {result['stored']:,} stored, "
          f"0 lost, 0 doubled, {result['kills']} SIGKILLs; {result['rate']:,.0f} events/s "
          f"with kills; consumer redeliveries {result['redelivered']:,}")
    batched = ingest_rate(base / "batched", events=args.events, clients=args.clients,
                          batch=args.batch)
    print(f"ingest, batches of {args.batch}, {args.clients} clients: {batched:,.0f} events/s")
    single = ingest_rate(base / "single", events=args.single_events, clients=args.clients, batch=1)
    print(f"ingest, one event per request, {args.clients} clients: {single:,.0f} events/s")
    latencies = sorted(model_latency(base / "latency", samples=args.latency_samples))
    mid = latencies[len(latencies) // 2]
    print(f"publish -> model built: median {mid * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
          f"({len(latencies)} samples)")
    print(json.dumps({"kill": result, "batched": batched, "single": single,
                      "latency_median_s": mid}, default=str))


if __name__ == "__main__":
    main()
