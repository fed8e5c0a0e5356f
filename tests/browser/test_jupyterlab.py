"""The quickstart in a real JupyterLab, in headless Chromium: the DAG widget draws one node per model,
the nodes turn green as the run succeeds, a click shows a model's details, and a failing model
turns its node red. Screenshots go to test-artifacts/ (jupyterlab-*.png)."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import browser_page, require_chromium, screenshot

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "notebooks" / "01-quickstart.ipynb"
MODELS = ("raw_orders", "daily_revenue", "top_customers")
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server on a free 127.0.0.1 port, serving a copy of the quickstart; yields its URL."""
    require_chromium()
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(QUICKSTART, work / QUICKSTART.name)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")}
    news = tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false", "checkForUpdates": false}')  # no network, no popup
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()) from None
                time.sleep(0.5)
        yield f"{url}/lab/tree/{QUICKSTART.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# every code cell shows an execution count ([12]), none is queued or running ([*])
ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


def node_statuses(page) -> dict[str, str]:  # noqa: ANN001 - a Playwright page
    return page.eval_on_selector_all(
        ".interlace-dag-node", "nodes => Object.fromEntries(nodes.map(n => [n.dataset.model, n.dataset.status]))")


def wait_for(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def test_quickstart_in_jupyterlab_draws_a_live_dag(jupyterlab: str) -> None:
    with browser_page() as page:
        page.set_default_timeout(120_000)
        page.goto(jupyterlab)
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is up and connected
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        try:
            page.wait_for_function(ALL_CELLS_RAN, timeout=240_000)
        except Exception:
            screenshot(page, "jupyterlab-quickstart-timeout")
            raise

        dag = page.locator(".interlace-dag").first
        dag.scroll_into_view_if_needed()
        wait_for(lambda: node_statuses(page) == dict.fromkeys(MODELS, "success"), 60,
                 f"every node to succeed (now {node_statuses(page)})")
        assert page.locator(".interlace-dag").count() == 1
        assert dag.locator(".interlace-dag-node").count() == len(MODELS)
        assert dag.locator(".interlace-dag-edge").count() == 2
        arrow = dag.locator(".interlace-dag-edge").first.get_attribute("marker-end")  # url(#id)
        assert dag.locator(f"marker{arrow[4:-1]} path").count() == 1  # an arrowhead, in the page
        assert dag.locator(".interlace-dag-legend-item").count() == 10  # nine statuses and the arrow
        green = dag.locator(".interlace-dag-node[data-model='raw_orders'] rect").evaluate(
            "r => getComputedStyle(r).fill")
        assert green == "rgb(46, 125, 50)"

        dag.locator(".interlace-dag-node[data-model='top_customers']").click()
        details = dag.locator(".interlace-dag-details")
        details.wait_for(state="visible")
        assert details.locator(".interlace-dag-title").inner_text() == "top_customers"
        text = details.inner_text()
        assert "The ten customers who spent most." in text
        assert "python · table · replace" in text
        assert "01-quickstart.ipynb, cell" in text
        assert "raw_orders" in text
        screenshot(page, "jupyterlab-quickstart-dag")

        # a failing model: a new cell at the end declares one that reads a column that does not exist
        page.locator(".jp-Notebook .jp-Cell").last.click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        page.keyboard.type("%%interlace_model broken\nSELECT no_such_column FROM raw_orders")
        page.keyboard.press("Shift+Enter")
        wait_for(lambda: node_statuses(page).get("broken") == "failed", 120,
                 f"the failing model's node to turn red (now {node_statuses(page)})")
        broken = dag.locator(".interlace-dag-node[data-model='broken'] rect")
        # the fill eases over 0.2 s (CSS transition): wait for it to settle rather than read it mid-way
        wait_for(lambda: broken.evaluate("r => getComputedStyle(r).fill") == "rgb(211, 47, 47)", 10,
                 "the failing model's node to be drawn red")
        assert {k: v for k, v in node_statuses(page).items() if k != "broken"} == dict.fromkeys(MODELS, "success")
        error = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").last
        error_text = error.inner_text()  # one line pointing at the widget, which holds the whole error
        assert "ExecutionError: model 'broken' failed; its error is shown above" in error_text
        assert "Traceback" not in error_text
        shown = page.locator(".interlace-result-error").last.inner_text()
        assert 'column "no_such_column" not found' in shown and "Fix: fix the model's SQL" in shown
        dag.locator(".interlace-dag-node[data-model='broken']").click()
        assert "no_such_column" in dag.locator(".interlace-dag-error").inner_text()
        dag.scroll_into_view_if_needed()
        screenshot(page, "jupyterlab-quickstart-failed-model")
