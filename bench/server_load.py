"""A bounded load run against `interlace serve` on 127.0.0.1: authenticated `GET /api/v1/models`.

    .venv/bin/python bench/server_load.py [--requests 5000] [--concurrency 50] [--baseline DIR]
        [--rounds 5] [--client raw|httpx] [--path /api/v1/models] [--baseline-hides httptools]

Starts the real server (a separate process, the full app: API + dashboard) over a copy of
examples/shop, makes a read key with `interlace keys create`, then sends exactly --requests
requests from --concurrency concurrent clients and reports latency percentiles, throughput, errors
(any response other than 200, or any transport error) and the CPU time the server and the client
spent per request. The rate limit is set above the offered load so that the figures measure the
server, not the limiter (the limiter still runs).

With --baseline DIR (another checkout, e.g. `git archive main | tar -x -C /tmp/base`), a second
server runs that tree's code (PYTHONPATH=DIR, same interpreter) over its own copy of the project,
and the requests are sent in --rounds rounds alternating between the two servers (the order
swapped every round), so a noisy, shared machine slows both alike; the ratio is this tree /
baseline.

--client raw (default) is a minimal HTTP/1.1 keep-alive client on asyncio streams (one request
written, the response read by its Content-Length): it spends ~10x less CPU per request than
httpx, which on 2 cores otherwise takes more of the machine than the server. --client httpx is the
previous client. Only 127.0.0.1 is contacted; a round stops after its count or --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

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


def interlace(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlace", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    tree: Path
    hide: tuple[str, ...] = ()  # modules this server must not import (the baseline as shipped)
    url: str = ""
    key: str = ""
    process: subprocess.Popen[str] | None = None
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def start(self) -> None:
        project = DATA_DIR / "server_load" / self.name.replace(" ", "_") / "shop"
        shutil.rmtree(project.parent, ignore_errors=True)
        path = str(self.tree)
        if self.hide:  # modules that raise ImportError, found before the installed ones
            shadow = project.parent / "hidden"
            shadow.mkdir(parents=True)
            for module in self.hide:
                (shadow / f"{module}.py").write_text(
                    f"raise ImportError('{module} hidden by server_load.py')\n"
                )
            path = f"{shadow}{os.pathsep}{path}"
        shutil.copytree(
            REPO / "examples" / "shop",
            project,
            ignore=shutil.ignore_patterns(".interlace", "__pycache__"),
        )
        (project / "config.yaml").write_text(CONFIG)
        interlace(self.tree, "run", "-d", str(project))
        created = interlace(
            self.tree, "keys", "create", "bench", "--scope", "read", "--json", "-d", str(project)
        )
        self.key = json.loads(created.stdout)["key"]
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "interlace",
                "serve",
                "-d",
                str(project),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.tree,
            env={**os.environ, "PYTHONPATH": path},
        )

    def wait_ready(self, path: str) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read() if self.process.stderr else ""
                raise SystemExit(f"the {self.name} server did not start: {err}")
            time.sleep(0.2)
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}
        ) as warm:
            for _ in range(20):  # first requests import lazily-loaded modules; not what we measure
                warm.get(path).raise_for_status()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _check(status: int, body: bytes, path: str) -> str:
    if status != 200:
        return str(status)
    if path.startswith("/api/v1/models") and json.loads(body)["total"] < 1:
        return "200-empty"
    return "200"


async def _raw_client(
    url: str, key: str, path: str
) -> tuple[Callable[[], Awaitable[str]], Callable[[], None]]:
    """One keep-alive connection: ``get()`` sends the request and returns its outcome."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()

    async def get() -> str:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            (
                int(v)
                for k, _, v in (line.partition(b":") for line in lines[1:])
                if k.strip().lower() == b"content-length"
            ),
            None,
        )
        if length is None:
            raise RuntimeError(f"{path}: a response without Content-Length: {head[:200]!r}")
        return _check(status, await reader.readexactly(length), path)

    return get, writer.close


async def load(
    server: Server, requests: int, concurrency: int, max_seconds: float, client: str, path: str
) -> None:
    remaining = iter(range(requests))
    deadline = time.monotonic() + max_seconds
    headers = {"Authorization": f"Bearer {server.key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, limits=limits, timeout=30
    ) as pool:

        async def worker() -> None:
            if client == "raw":
                get, close = await _raw_client(server.url, server.key, path)
            else:

                async def get() -> str:
                    response = await pool.get(path)
                    return _check(response.status_code, response.content, path)

                close = None
            try:
                for _ in remaining:
                    if time.monotonic() > deadline:
                        return
                    start = time.perf_counter()
                    try:
                        outcome = await get()
                    except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
                        outcome = type(exc).__name__
                    server.latencies.append(time.perf_counter() - start)
                    server.statuses[outcome] = server.statuses.get(outcome, 0) + 1
            finally:
                if close is not None:
                    close()

        assert server.process is not None
        began, cpu0, own0 = (
            time.perf_counter(),
            cpu_seconds(server.process.pid),
            time.process_time(),
        )
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        server.seconds += time.perf_counter() - began
        server.server_cpu += cpu_seconds(server.process.pid) - cpu0
        server.client_cpu += time.process_time() - own0


def summary(server: Server) -> dict[str, object]:
    lat, n = server.latencies, len(server.latencies)
    cuts = statistics.quantiles(lat, n=100, method="inclusive")
    return {
        "requests": n,
        "seconds": round(server.seconds, 2),
        "throughput_rps": round(n / server.seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(lat) * 1000, 1),
        "server_cpu_ms_per_request": round(server.server_cpu / n * 1000, 2),
        "client_cpu_ms_per_request": round(server.client_cpu / n * 1000, 2),
        "errors": sum(c for s, c in server.statuses.items() if s != "200"),
        "statuses": server.statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="per server")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=600, help="per round")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare against")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per server (alternating)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--path", default="/api/v1/models")
    parser.add_argument(
        "--baseline-hides",
        default="",
        metavar="MODULES",
        help="comma-separated modules the baseline server may not import (e.g. httptools: "
        "what this tree added to the server extra, so the baseline runs as shipped)",
    )
    args = parser.parse_args()

    servers = [Server("this tree", REPO)] + (
        [
            Server(
                "baseline",
                args.baseline.resolve(),
                tuple(m for m in args.baseline_hides.split(",") if m),
            )
        ]
        if args.baseline
        else []
    )
    load_before = os.getloadavg()
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready(args.path)
        rounds = max(1, args.rounds)
        for i in range(rounds):
            share = args.requests // rounds + (1 if i < args.requests % rounds else 0)
            for server in servers if i % 2 == 0 else servers[::-1]:
                asyncio.run(
                    load(server, share, args.concurrency, args.max_seconds, args.client, args.path)
                )
    finally:
        for server in servers:
            server.stop()
    print(machine_info())
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(
        f"GET {args.path} (authenticated, {args.requests} requests per server, concurrency "
        f"{args.concurrency}, {args.rounds} rounds, client {args.client}"
        f"{', baseline without ' + args.baseline_hides if args.baseline_hides else ''})"
    )
    results = {s.name: summary(s) for s in servers}
    print(json.dumps(results, indent=2))
    if len(servers) == 2:
        new, base = results["this tree"], results["baseline"]
        for metric in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "server_cpu_ms_per_request"):
            print(
                f"{metric:28s} this tree {new[metric]:>9} baseline {base[metric]:>9}  "
                f"ratio {float(new[metric]) / float(base[metric]):.2f}x"
            )  # type: ignore[arg-type]
    ok = all(r["errors"] == 0 and r["requests"] == args.requests for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
