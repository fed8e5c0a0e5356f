"""A bounded load run against `interlace serve` on 127.0.0.1: authenticated `GET /api/v1/models`.

    .venv/bin/python bench/server_load.py [--requests 5000] [--concurrency 50]

Starts the real server (a separate process, the full app: API + dashboard) over a copy of
examples/shop, makes a read key with `interlace keys create`, then sends exactly --requests
requests from --concurrency concurrent clients and reports latency percentiles, throughput and
errors (any response other than 200, or any transport error). The rate limit is set above the
offered load so that the figures measure the server, not the limiter (the limiter still runs).
Only 127.0.0.1 is contacted; the run stops after the request count or --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

import httpx
from benchkit import DATA_DIR, REPO, machine_info

CONFIG = """name: shop
run:
  max_workers: 2
service:
  rate_limit: {rate: 100000, burst: 100000}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def interlace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interlace", *args], capture_output=True, text=True, check=True)


async def load(url: str, key: str, requests: int, concurrency: int, max_seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    remaining = iter(range(requests))
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=30) as client:

        async def worker() -> None:
            for _ in remaining:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                try:
                    response = await client.get("/api/v1/models")
                    outcome = str(response.status_code)
                    if response.status_code == 200 and response.json()["total"] < 1:
                        outcome = "200-empty"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                latencies.append(time.perf_counter() - start)
                statuses[outcome] = statuses.get(outcome, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "requests": len(latencies), "concurrency": concurrency, "seconds": round(elapsed, 2),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1), "p90_ms": round(cuts[89] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(max(latencies) * 1000, 1),
        "errors": sum(n for s, n in statuses.items() if s != "200"), "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()

    project = DATA_DIR / "server_load" / "shop"
    shutil.rmtree(project.parent, ignore_errors=True)
    shutil.copytree(REPO / "examples" / "shop", project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    (project / "config.yaml").write_text(CONFIG)
    interlace("run", "-d", str(project))
    key = json.loads(interlace("keys", "create", "bench", "--scope", "read", "--json", "-d", str(project)).stdout)["key"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "interlace", "serve", "-d", str(project), "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.2)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as warm:
            for _ in range(20):  # first requests import lazily-loaded modules; not what we measure
                warm.get("/api/v1/models").raise_for_status()
        result = asyncio.run(load(url, key, args.requests, args.concurrency, args.max_seconds))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    print(machine_info())
    print(f"GET /api/v1/models (authenticated, {result['requests']} requests, concurrency {result['concurrency']})")
    print(json.dumps(result, indent=2))
    return 0 if result["errors"] == 0 and result["requests"] == args.requests else 1


if __name__ == "__main__":
    raise SystemExit(main())
