"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright.

Playwright cannot download browsers here, so it launches the system Chromium by path. Outside CI a
missing Chromium skips the test loudly; in CI (``CI`` set, as `.ci/run` does) it fails instead.
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("INTERLACE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def require_chromium() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    message = (f"Chromium not found at {CHROMIUM}: browser test NOT RUN. "
               "Install it with `apt-get install chromium` (make test does this as root).")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError  # unreachable


@contextlib.contextmanager
def browser_page(viewport: tuple[int, int] = (1400, 900)) -> Iterator[Any]:
    """A Playwright page in a fresh headless Chromium profile."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=FLAGS,
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
