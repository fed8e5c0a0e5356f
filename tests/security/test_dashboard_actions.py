"""Findings 2 and 3: every dashboard action checks the principal on the server; revocation reaches
open pages and streams.

A "disabled" button is only a browser-side state: these tests enable it in the page's Bokeh model
(as a hostile client can) and click, and the server must still refuse.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser_support import browser_page, require_chromium, screenshot
from tests.security.conftest import SLOW_MODELS, Live

# a slow model that runs long enough to be cancelled (or not) while the test acts
LONG_MODELS = {**SLOW_MODELS, "models/slow.py": SLOW_MODELS["models/slow.py"].replace("2.0", "6.0")}

_ENABLE = """label => {
  const doc = Bokeh.documents[0];
  const button = [...doc.all_models].find(m => m.label === label);
  button.disabled = false;
  return button.disabled;
}"""


def _sign_in(page: Any, live: Live, scope: str) -> None:
    page.goto(live.url + "/login")
    page.fill("#key", live.keys[scope])
    page.click("#sign-in")
    page.wait_for_selector(".il-header")
    page.locator(".bk-tab", has_text="DAG").click()
    page.wait_for_selector(".interlace-dag-node")


def _force_click(page: Any, label: str) -> None:
    assert page.evaluate(_ENABLE, label) is False
    button = page.locator("button", has_text=label).first
    deadline = time.monotonic() + 30
    while button.is_disabled():  # the view catches up with the model
        assert time.monotonic() < deadline, f"{label} stayed disabled in the page"
        time.sleep(0.05)
    button.click()


@pytest.mark.slow
def test_a_read_session_cannot_start_a_run_by_enabling_the_button(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(dashboard=True)
    with browser_page() as page:
        _sign_in(page, live, "read")
        _force_click(page, "Run")
        page.wait_for_selector("#il-refused")
        assert page.text_content("#il-refused") == ("Refused: key 'test-read' has scope 'read'; this needs "
                                                    "'run'.")
        screenshot(page, "security-read-run-refused")
    with live.client("read") as c:
        assert c.get("/api/v1/runs").json()["runs"] == []


@pytest.mark.slow
def test_a_read_session_cannot_cancel_someone_elses_run(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(LONG_MODELS, dashboard=True)
    with browser_page() as page:
        _sign_in(page, live, "read")
        with live.client("run") as runner:
            run_id = runner.post("/api/v1/runs", json={}).json()["run_id"]
        # the page learns the run from its events; its Cancel stays disabled for a read key
        page.wait_for_selector(f"#il-progress:has-text('{run_id}')", timeout=30_000)
        _force_click(page, "Cancel run")
        page.wait_for_selector("#il-refused")
        assert "has scope 'read'; this needs 'run'" in page.text_content("#il-refused")
    assert live.wait_for_run(run_id)["status"] == "success"  # it was not cancelled


@pytest.mark.slow
def test_revoking_a_key_closes_its_open_dashboard(live_factory: Callable[..., Live]) -> None:
    require_chromium()
    live = live_factory(dashboard=True)
    with live.client("admin") as admin:
        key = admin.post("/api/v1/keys", json={"name": "operator", "scope": "run"}).json()["key"]
    closed = threading.Event()
    with browser_page() as page:
        page.on("websocket", lambda ws: ws.on("close", lambda _ws: closed.set()))
        page.goto(live.url + "/login")
        page.fill("#key", key)
        page.click("#sign-in")
        page.wait_for_selector(".il-header")
        with live.client("admin") as admin:
            assert admin.delete("/api/v1/keys/operator").status_code == 204
        deadline = time.monotonic() + 30
        while not closed.is_set():  # Playwright delivers events while the page is being waited on
            assert time.monotonic() < deadline, "the dashboard websocket stayed open after its key was revoked"
            page.wait_for_timeout(100)
        page.locator(".bk-tab", has_text="DAG").click()
        page.locator("button", has_text="Run").first.click()
        screenshot(page, "security-revoked-dashboard")
    with live.client("read") as c:
        assert c.get("/api/v1/runs").json()["runs"] == []  # the revoked page started nothing


def test_each_dashboard_action_rechecks_the_key(live_factory: Callable[..., Live]) -> None:
    """Without waiting for the watchdog: an action of a page whose key is gone does nothing."""
    from interlace.keys import Principal
    from interlace.server.dashboard.app import Dashboard
    from interlace.server.service import Service

    live = live_factory()
    svc = Service(live.workspace)
    valid = {"now": True}
    principal = Principal("operator", "run", "store")
    board = Dashboard(svc, principal, base="/dashboard", recheck=lambda: principal if valid["now"] else None)
    try:
        valid["now"] = False
        board._start_run()
        assert board.message.object == ('<p class="il-status-failed" id="il-refused">Refused: its key was revoked '
                                        "or the login expired.</p>")
        board._cancel_run()
        assert svc.runs.active() == []
    finally:
        board.close()
    with live.client("read") as c:
        assert c.get("/api/v1/runs").json()["runs"] == []


def _read_stream(url: str, key: str, lines: list[str], ended: threading.Event) -> None:
    try:
        with httpx.stream("GET", url + "/api/v1/events", headers={"X-API-Key": key}, timeout=60) as response:
            for line in response.iter_lines():
                lines.append(line)
    except httpx.HTTPError as exc:
        lines.append(f"transport error: {exc}")
    finally:
        ended.set()


def test_revoking_a_key_ends_its_event_stream(shop_live: Live) -> None:
    with shop_live.client("admin") as admin:
        key = admin.post("/api/v1/keys", json={"name": "watcher", "scope": "read"}).json()["key"]
    lines: list[str] = []
    ended = threading.Event()
    reader = threading.Thread(target=_read_stream, args=(shop_live.url, key, lines, ended), daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while ": connected" not in lines:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    with shop_live.client("admin") as admin:
        assert admin.delete("/api/v1/keys/watcher").status_code == 204
    assert ended.wait(30), "the event stream kept going after its key was revoked"
    error = json.loads(next(line for line in lines if line.startswith("data: "))[6:])
    assert error == {"code": "UNAUTHORIZED",
                     "message": "the key of this stream was revoked or its login expired; sign in again"}
    assert "event: error" in lines


def test_a_login_that_ends_closes_its_stream(shop_live: Live) -> None:
    """Logout (like expiry) ends the session: its open stream ends too."""
    response = httpx.post(shop_live.url + "/login", data={"key": shop_live.keys["read"], "next": "/dashboard"})
    cookie = response.cookies["interlace_session"]
    lines: list[str] = []
    ended = threading.Event()

    def read() -> None:
        with httpx.stream("GET", shop_live.url + "/api/v1/events", cookies={"interlace_session": cookie},
                          timeout=60) as stream:
            for line in stream.iter_lines():
                lines.append(line)
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 30
    while ": connected" not in lines:
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    httpx.get(shop_live.url + "/logout", cookies={"interlace_session": cookie})
    assert ended.wait(30), "the stream of a logged-out session kept going"
    assert "event: error" in lines
