"""A built docs site of the shop example, with an executed notebook and a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from tests.conftest import SHOP, run_cli
from tests.magics.conftest import project, shell  # noqa: F401 - the magics tests' fixtures, for %interlace docs

EXPLORE_CELLS = [
    "# Exploring the shop",
    "%load_ext interlace",
    "%interlace run",
    "%interlace dag",
    "%interlace quality",
    "%interlace lineage customers.customer_id",
    "%interlace plan --diff",
    "%interlace show customers --limit 3",
    "%interlace diff customers",
]


def notebook(cells: list[str]) -> nbformat.NotebookNode:
    made = nbformat.v4.new_notebook()
    made.cells = [nbformat.v4.new_markdown_cell(c) if c.startswith("# ") else nbformat.v4.new_code_cell(c)
                  for c in cells]
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return made


def execute(path: Path, cells: list[str]) -> nbformat.NotebookNode:
    """Run ``cells`` as a notebook in a real kernel (cwd: the notebook's folder) and save it with its outputs."""
    made = notebook(cells)
    NotebookClient(made, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(made, path)
    return made


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(), "html.parser")


@pytest.fixture(scope="module")
def shop_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop built by `interlace run` in a notebook, then its site by `interlace docs build`."""
    root = tmp_path_factory.mktemp("docs") / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns(".interlace", "__pycache__", "site"))
    (root / "notebooks").mkdir()
    execute(root / "notebooks" / "explore.ipynb", EXPLORE_CELLS)
    (root / "notebooks" / "broken.ipynb").write_text('{"cells": [ this is not json')
    done = run_cli("docs", "build", "--project-dir", str(root))
    assert done.returncode == 0, done.stderr
    return root
