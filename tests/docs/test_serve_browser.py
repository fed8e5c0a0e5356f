"""Live reload of `interlace docs serve` in headless Chromium: an open page reloads itself when a
model's file changes, and shows the new text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser_support import browser_page, require_chromium
from tests.conftest import write_files

MODEL = '-- @model(description="{text}")\nSELECT 1 AS x\n'


@pytest.mark.slow
def test_an_open_page_reloads_after_a_file_changes(tmp_path: Path) -> None:
    require_chromium()
    root = write_files(tmp_path / "proj", {"config.yaml": "name: live\n",
                                          "models/a.sql": MODEL.format(text="Before the edit.")})
    process = subprocess.Popen(
        [sys.executable, "-m", "interlace", "docs", "serve", "--project-dir", str(root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "300", "NO_COLOR": "1"})
    try:
        assert process.stdout is not None
        url = re.search(r"(http://127\.0\.0\.1:\d+)/index\.html", process.stdout.readline()).group(1)
        with browser_page() as page:
            with page.expect_response(lambda r: r.url.endswith("/__interlace_build")):
                page.goto(f"{url}/models/a.html")  # the page asks for the build number it shows
            assert page.text_content(".il-description") == "Before the edit."
            (root / "models" / "a.sql").write_text(MODEL.format(text="After the edit."))
            # no navigation from the test: the page's reload script notices the new build
            page.wait_for_function(
                "document.querySelector('.il-description') && "
                "document.querySelector('.il-description').textContent === 'After the edit.'", timeout=60_000)
            assert page.url == f"{url}/models/a.html"
    finally:
        process.terminate()
        process.wait(timeout=30)
