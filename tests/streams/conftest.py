"""A project with streams, opened as a workspace (closed at the end of the test); a real
redis-server."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import interlace
from tests.conftest import write_files

CONFIG = """
name: streams
streams:
  clicks:
    debounce: 0.1
    visibility_timeout: 0.2
    max_deliveries: 2
  orders:
    fields: {id: bigint, amount: double, at: timestamp, tags: json}
    required: [id]
  lax:
    fields: {id: bigint}
    on_invalid: dead_letter
  strict_one:
    schema_mode: strict
    trigger: false
"""

MODELS = {
    "models/click_counts.sql": """
        -- @model(materialize="table")
        SELECT url, count(*) AS n FROM clicks GROUP BY url
    """,
}


@pytest.fixture
def open_streams(tmp_path: Path) -> Iterator[Callable[..., interlace.Workspace]]:
    opened: list[interlace.Workspace] = []

    def make(config: str = CONFIG, files: dict[str, str] | None = None,
             name: str = "p") -> interlace.Workspace:
        root = tmp_path / name
        if not root.exists():
            write_files(root, {"config.yaml": config, **(MODELS if files is None else files)})
        ws = interlace.open(root)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


REDIS_SERVER = "/usr/bin/redis-server"


def wait_for(check: Callable[[], Any], what: str, deadline_s: float = 60) -> Any:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (Debian's) on a free port, stopped at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    wait_for(lambda: _pings(client), "redis-server to answer", 30)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    process.terminate()
    process.wait(30)


def _pings(client: Any) -> bool:
    import redis

    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
