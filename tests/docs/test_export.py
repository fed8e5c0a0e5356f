"""Widgets survive export: a notebook executed in a real kernel, exported by `jupyter nbconvert
--to html`, shows every interlace widget's text/HTML fallback (parsed from the HTML)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import SHOP
from tests.docs.conftest import notebook, soup

CELLS = {
    "%interlace run": ".interlace-progress-fallback",
    "%interlace dag": ".interlace-dag-fallback",
    "%interlace quality": ".interlace-quality-fallback",
    "%interlace lineage customers.customer_id": ".interlace-lineage-fallback",
    "%interlace plan --force": ".interlace-plan",
    "%interlace diff customers": ".interlace-diff-fallback",
    "%%interlace_model big_orders\nSELECT * FROM stg_orders WHERE order_id > 90": ".interlace-result-fallback",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nbformat.NotebookNode]:
    root = tmp_path_factory.mktemp("export") / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".interlace", "__pycache__", "site"))
    made = notebook(["%load_ext interlace", *CELLS])
    # JupyterLab saves no widget state by default: nothing but the saved outputs reaches nbconvert
    NotebookClient(made, timeout=180, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(root)}}).execute()
    path = root / "explore.ipynb"
    nbformat.write(made, path)
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return root / "explore.html", made


def test_every_widget_output_carries_its_fallbacks(exported: tuple[Path, nbformat.NotebookNode]) -> None:
    _, made = exported
    for cell in made.cells[1:]:
        [output] = [o for o in cell.outputs if o.output_type == "display_data"]
        assert {"text/plain", "text/html"} <= set(output.data), cell.source


def test_nbconvert_html_shows_every_widget_fallback(exported: tuple[Path, nbformat.NotebookNode]) -> None:
    html, _ = exported
    page = soup(html)
    cells = page.select(".jp-CodeCell")
    assert len(cells) == len(CELLS) + 1
    for cell, (source, selector) in zip(cells[1:], CELLS.items(), strict=True):
        found = cell.select_one(selector)
        assert found is not None and found.text.strip(), f"{source}: no {selector} in the exported HTML"
    dag = page.select_one(".interlace-dag-fallback")
    assert "customers" in {td.text for td in dag.select("td")}
    progress = page.select_one(".interlace-progress-fallback")
    assert "success" in progress.text  # the final state, not the 'waiting' one it was displayed with
