"""The JupyterLab extension (extension/, prebuilt in interlace/labextension/) in a real JupyterLab,
in headless Chromium: a %%interlace_model cell is highlighted as SQL, completion offers models and
columns from the kernel's workspace, the sidebar lists the session's models and follows a run its
button starts, and go-to-definition jumps from a model name to the cell that declares it.
Screenshots go to the test's temporary directory (printed on failure) and test-artifacts/."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_jupyterlab import free_port, wait_for
from tests.browser_support import browser_page, require_chromium, screenshot

pytestmark = pytest.mark.slow

CELLS = [
    "import interlace\n%load_ext interlace",
    "%%interlace_model orders\nSELECT range AS order_id, range * 2 AS amount FROM range(10)",
    "%%interlace_model order_totals --no-run\nSELECT count(*) AS n, sum(amount) AS total FROM orders",
    "",
]


def notebook(cells: list[str]) -> dict[str, Any]:
    return {
        "cells": [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None,
                   "outputs": [], "source": source} for i, source in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on a free port serving a notebook of model cells; yields its URL and the log."""
    require_chromium()
    work = tmp_path / "lab"
    work.mkdir()
    (work / "models.ipynb").write_text(json.dumps(notebook(CELLS)))
    (work / "models").mkdir()
    (work / "models" / "customers.sql").write_text("-- a file model\nSELECT 1 AS customer_id\n")
    port, token = free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"), "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false", "checkForUpdates": false}')
    log_path = tmp_path / "jupyterlab.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError("JupyterLab did not start:\n" + log_path.read_text()) from None
                    time.sleep(0.5)
            yield f"{url}/lab/tree/models.ipynb?token={token}", log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].slice(0, 3);
  return prompts.length === 3 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""

# the colour of the first token `text` in the editor of cell `index`
TOKEN_COLOUR = """([index, text]) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const span = [...cell.querySelectorAll('.cm-line span')].find(s => s.textContent === text);
  return span ? getComputedStyle(span).color : null;
}"""

# every status the sidebar drew for a model, from the rows it rendered (a MutationObserver)
RECORD_STATUSES = """(model) => {
  window.__seen = [];
  const sidebar = document.querySelector('#interlace-models');
  new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes) {
      const rows = n.matches?.('.interlace-sidebar-model') ? [n] : [...(n.querySelectorAll?.('.interlace-sidebar-model') ?? [])];
      for (const row of rows) if (row.dataset.model === model) window.__seen.push(row.dataset.status);
    }
  }).observe(sidebar, {childList: true, subtree: true});
}"""


def sidebar_statuses(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        ".interlace-sidebar-model", "rows => Object.fromEntries(rows.map(r => [r.dataset.model, r.dataset.status]))")


def completions(page: Any) -> list[str]:
    page.locator(".jp-Completer").wait_for(state="visible", timeout=30_000)
    return page.locator(".jp-Completer-item").evaluate_all(
        "items => items.map(i => i.querySelector('.jp-Completer-match').textContent)")


def probe_source(page: Any) -> str:
    return page.locator(".jp-Notebook .jp-Cell").nth(3).locator(".cm-content").inner_text()


def test_extension_highlights_completes_lists_runs_and_jumps(lab: tuple[str, Path], tmp_path: Path) -> None:
    url, log = lab
    shots = tmp_path / "screenshots"
    with browser_page() as page:
        page.set_default_timeout(120_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "interlace" in m.text else None)
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        page.wait_for_function(ALL_CELLS_RAN, timeout=240_000)

        # 1. SQL highlighting: SELECT is a keyword coloured as Python's `import`; in a Python cell it would be a name
        keyword = page.evaluate(TOKEN_COLOUR, [0, "import"])
        assert keyword is not None
        assert page.evaluate(TOKEN_COLOUR, [1, "SELECT"]) == keyword
        assert page.evaluate(TOKEN_COLOUR, [2, "FROM"]) == keyword
        assert page.evaluate(TOKEN_COLOUR, [0, "interlace"]) != keyword  # not every token is a keyword

        # 2. the sidebar lists the session's models: one built, one declared with --no-run
        page.locator(".jp-SideBar .lm-TabBar-tab[data-id='interlace-models']").click()
        sidebar = page.locator("#interlace-models")
        sidebar.locator(".interlace-sidebar-model[data-model='order_totals']").wait_for()
        assert sidebar_statuses(page) == {"customers": "stale", "orders": "fresh", "order_totals": "stale"}
        meta = sidebar.locator(".interlace-sidebar-model[data-model='orders'] .interlace-sidebar-meta").inner_text()
        assert meta.startswith("sql · table · ") and "never built" not in meta
        assert "never built" in sidebar.locator(
            ".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-meta").inner_text()
        screenshot_to(page, shots, "extension-sidebar")

        # 3. its run button runs the model: the row turns running, then success
        page.evaluate(RECORD_STATUSES, "order_totals")
        sidebar.locator(".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-run").click()
        wait_for(lambda: sidebar_statuses(page).get("order_totals") == "success", 60,
                 f"order_totals to succeed (now {sidebar_statuses(page)})")
        seen = page.evaluate("window.__seen")
        assert "running" in seen and seen.index("running") < len(seen) - 1 - seen[::-1].index("success")
        wait_for(lambda: "never built" not in sidebar.locator(
            ".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-meta").inner_text(), 30,
            "the sidebar to show order_totals' last build")
        screenshot_to(page, shots, "extension-sidebar-after-run")

        # show and lineage open the magic's output in a panel of their own; ↗ jumps to the declaring cell
        sidebar.locator(".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-show").click()
        shown = page.locator(".interlace-output .interlace-show").first
        shown.wait_for()
        assert shown.inner_text().startswith("order_totals: 1 rows")
        sidebar.locator(".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-lineage").click()
        try:
            page.locator(".interlace-output .interlace-lineage-node").first.wait_for(timeout=60_000)
        except Exception:
            screenshot_to(page, shots, "extension-lineage-timeout")
            raise
        screenshot_to(page, shots, "extension-show-and-lineage")
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="models.ipynb").click()
        sidebar.locator(".interlace-sidebar-model[data-model='order_totals'] .interlace-sidebar-origin").click()
        page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active')"
                               "?.textContent.includes('%%interlace_model order_totals')", timeout=30_000)

        # 4. completion of model names from the kernel's workspace
        probe = page.locator(".jp-Notebook .jp-Cell").nth(3)
        probe.locator(".cm-content").click()
        page.keyboard.type("%%interlace_model probe\nSELECT * FROM ord")
        page.keyboard.press("Tab")
        offered = completions(page)
        assert offered[:2] == ["order_totals", "orders"], offered
        screenshot_to(page, shots, "extension-complete-model")
        page.locator(".jp-Completer-item", has_text="orders").filter(has_not_text="totals").click()
        assert probe_source(page).endswith("SELECT * FROM orders")

        # 5. go to definition: the cursor is on `orders`, the cell that declares it becomes active
        page.keyboard.press("Control+Alt+b")
        page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active')"
                               "?.textContent.includes('%%interlace_model orders')", timeout=30_000)
        screenshot_to(page, shots, "extension-go-to-definition")

        # 6. completion of an alias's columns
        probe.locator(".cm-content").click()
        page.keyboard.press("Control+End")
        page.keyboard.type(" o WHERE o.")
        page.keyboard.press("Tab")
        assert completions(page) == ["order_id", "amount"]
        screenshot_to(page, shots, "extension-complete-column")
        page.locator(".jp-Completer-item", has_text="amount").click()
        assert probe_source(page).endswith("FROM orders o WHERE o.amount")

        # 7. a file model's origin opens its file in the editor
        sidebar.locator(".interlace-sidebar-model[data-model='customers'] .interlace-sidebar-origin").click()
        editor = page.locator(".jp-FileEditor .cm-content").first
        editor.wait_for()
        wait_for(lambda: "SELECT 1 AS customer_id" in editor.inner_text(), 30, "customers.sql to load")
        assert page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text="customers.sql").count() == 1
        screenshot_to(page, shots, "extension-open-file-origin")
        assert errors == [], errors


def screenshot_to(page: Any, directory: Path, name: str) -> None:
    directory.mkdir(exist_ok=True)
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
    screenshot(page, name)
