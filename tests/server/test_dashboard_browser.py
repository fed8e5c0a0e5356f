"""The dashboard in headless Chromium: log in with a key, open a model page, trigger a run and watch
the DAG statuses change live. Screenshots go to test-artifacts/ (dashboard-*.png)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.browser_support import browser_page, require_chromium, screenshot
from tests.conftest import SHOP
from tests.server.conftest import SLOW_MODELS, Live

LOCAL = ("blob:", "data:")


def _node_statuses(page: object) -> dict[str, str]:
    nodes = page.query_selector_all(".interlace-dag-node")  # type: ignore[attr-defined]
    return {n.get_attribute("data-model"): n.get_attribute("data-status") for n in nodes}


@pytest.mark.slow
def test_login_model_page_run_and_live_dag(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(SLOW_MODELS, dashboard=True)
    external: list[str] = []
    with browser_page() as page:
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith((live.url, *LOCAL)) else None)
        page.goto(live.url + "/dashboard?model=slow")
        assert page.url.startswith(live.url + "/login?next=")  # no session: the login page
        page.fill("#key", "ilk_000000000000_" + "x" * 43)
        page.click("#sign-in")
        assert "not valid" in page.text_content("#login-error")
        page.fill("#key", live.keys["run"])
        page.click("#sign-in")
        page.wait_for_selector("#il-model-page[data-model=slow]")  # back at the page asked for
        assert page.url == live.url + "/dashboard?model=slow"
        assert "test-run (run)" in page.text_content(".il-header")
        assert page.text_content("#il-model-page h2").startswith("slow")
        screenshot(page, "dashboard-model-page")

        page.locator(".bk-tab", has_text="DAG").click()
        page.wait_for_selector(".interlace-dag-node[data-model=slow]")
        before = _node_statuses(page)
        assert before == {"base": "stale", "slow": "stale", "after_slow": "stale"}  # nothing built yet
        assert page.locator(".interlace-dag-legend-item").count() == 10  # the notebook widget's ESM
        assert page.locator(".interlace-dag-edge[marker-end]").count() == 2
        screenshot(page, "dashboard-dag-before-run")
        page.locator("button", has_text="Run").first.click()
        # the slow model sleeps 2 s: its node turns 'running' while the run goes on, in this page
        page.wait_for_selector(".interlace-dag-node[data-model=slow][data-status=running]", timeout=30_000)
        assert _node_statuses(page)["base"] == "success"
        screenshot(page, "dashboard-dag-running")
        page.wait_for_selector("#il-progress[data-state=success]", timeout=60_000)
        page.wait_for_selector(".interlace-dag-node[data-model=after_slow][data-status=success]")
        assert _node_statuses(page) == {"base": "success", "slow": "success", "after_slow": "success"}
        screenshot(page, "dashboard-dag-after-run")

        page.locator(".bk-tab", has_text="Runs").click()
        page.wait_for_selector("#il-runs .il-status-success")
        assert "dashboard:test-run" in page.text_content("#il-runs")
        screenshot(page, "dashboard-runs")

        page.locator(".bk-tab", has_text="Quality").click()
        page.wait_for_selector("#il-quality")
        assert "Latest quality results" in page.text_content("#il-quality")
        screenshot(page, "dashboard-quality")

        page.locator(".bk-tab", has_text="Overview").click()  # the health panel counts the run
        page.wait_for_selector("#il-health .il-health-summary")
        assert page.text_content("#il-health .il-health-summary").startswith("1 run in the last 14 days, 0 failed")
        assert [r.text_content() for r in page.query_selector_all("#il-slowest tbody tr td:first-child")][0] == "slow"
        screenshot(page, "dashboard-health")
    assert external == []  # every asset came from the server itself (no CDN)
    with live.client("read") as c:
        runs = c.get("/api/v1/runs").json()["runs"]
    assert runs[0]["status"] == "success" and runs[0]["trigger"] == "dashboard:test-run"


@pytest.mark.slow
def test_read_key_cannot_run_from_the_dashboard(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(dashboard=True)
    with browser_page() as page:
        page.goto(live.url + "/login")
        page.fill("#key", live.keys["read"])
        page.click("#sign-in")
        page.locator(".bk-tab", has_text="DAG").click()
        page.wait_for_selector(".interlace-dag-node")
        assert page.locator("button", has_text="Run").first.is_disabled()
        page.get_by_text("runs need the 'run' scope").wait_for()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_dashboard_runs_alone_with_panel_serve(tmp_path: Path) -> None:
    import shutil

    require_chromium()
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    import interlace
    from interlace.keys import create_key

    with interlace.open(project) as ws:
        key = create_key(ws.state, "viewer", "read").key
    script = subprocess.run([sys.executable, "-m", "interlace.server.dashboard"], capture_output=True, text=True,
                            check=True).stdout.strip()
    port = _free_port()
    panel = [str(Path(sys.executable).with_name("panel")), "serve", script, "--address", "127.0.0.1",
             "--port", str(port), "--allow-websocket-origin", f"127.0.0.1:{port}", "--args", "-d", str(project)]
    server = subprocess.Popen(panel, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "BOKEH_LOG_LEVEL": "warn"})
    try:
        url = f"http://127.0.0.1:{port}/standalone"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "panel serve did not answer"
            time.sleep(0.5)
        with browser_page() as page:
            page.goto(url)
            page.wait_for_selector(".il-key input")
            assert page.get_by_text("Recent runs").count() == 0  # nothing shown before a key
            page.fill(".il-key input", key)
            page.locator(".il-sign-in button").click()
            page.get_by_text("Recent runs").wait_for()
            page.get_by_text("viewer (read)").wait_for()
            screenshot(page, "dashboard-panel-serve")
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.slow
def test_swagger_ui_renders_from_local_assets(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory()
    external: list[str] = []
    with browser_page() as page:
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith((live.url, *LOCAL)) else None)
        page.goto(live.url + "/api/docs")
        assert page.url.startswith(live.url + "/login?next=%2Fapi%2Fdocs")
        page.fill("#key", live.keys["read"])
        page.click("#sign-in")
        page.wait_for_selector(".swagger-ui .opblock-summary-path[data-path='/api/v1/models/{name}']")
        assert page.locator(".swagger-ui .opblock").count() >= 20
        screenshot(page, "api-docs-swagger-ui")
    assert external == []
