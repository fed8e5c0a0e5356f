"""A real server on 127.0.0.1 (free port) over a copy of a project, and keys of every scope."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import interlace
from interlace.keys import create_key
from interlace.server.app import RunningServer, start_in_thread
from tests.conftest import SHOP, write_files

# A project with a model slow enough to observe (and cancel) while it runs.
SLOW_MODELS = {
    "models/base.sql": """
        -- @model(materialize="table", tags=["core"], description="Three numbers.")
        SELECT range AS n FROM range(3)
    """,
    "models/slow.py": """
        import time

        from interlace import model


        @model(materialize="table", tags=["core"])
        def slow(base):
            time.sleep(2.0)
            return base.mutate(doubled=base.n * 2)
    """,
    "models/after_slow.sql": """
        -- @model(materialize="view")
        SELECT count(*) AS rows FROM slow
    """,
}


@dataclass
class Live:
    """A running server, its workspace, and one key per scope."""

    server: RunningServer
    workspace: interlace.Workspace
    keys: dict[str, str]  # scope -> key

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, scope: str | None = "admin", *, headers: dict[str, str] | None = None,
               **kwargs: Any) -> httpx.Client:
        auth = {"Authorization": f"Bearer {self.keys[scope]}"} if scope else {}
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url, headers={**auth, **(headers or {})}, **kwargs)

    def wait_for_run(self, run_id: str, *, deadline_s: float = 60) -> dict[str, Any]:
        """Poll until the run has ended (a generous deadline guards against a hung run)."""
        end = time.monotonic() + deadline_s
        with self.client("read") as c:
            while time.monotonic() < end:
                body = c.get(f"/api/v1/runs/{run_id}").json()
                if not body["active"] and body["status"] not in ("queued", "running"):
                    return dict(body)
                time.sleep(0.1)
        raise AssertionError(f"run {run_id} did not finish within {deadline_s}s")


def start_live(project: Path, *, dashboard: bool = False) -> Live:
    ws = interlace.open(project)
    keys = {scope: create_key(ws.state, f"test-{scope}", scope).key for scope in ("read", "run", "admin")}
    server = start_in_thread(ws, "127.0.0.1", 0, dashboard=dashboard)
    return Live(server, ws, keys)


@pytest.fixture
def live_factory(tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """Start servers over projects; every one is stopped and closed at the end of the test."""
    started: list[Live] = []

    def make(files: dict[str, str] | None = None, *, config: str | None = None, dashboard: bool = False,
             name: str = "project") -> Live:
        project = tmp_path / name
        if files is None:
            shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
        else:
            write_files(project, files)
        if config is not None:
            (project / "config.yaml").write_text(config)
        live = start_live(project, dashboard=dashboard)
        started.append(live)
        return live

    yield make
    for live in started:
        live.server.stop()
        live.workspace.close()


@pytest.fixture
def shop_live(live_factory: Callable[..., Live]) -> Live:
    return live_factory()
