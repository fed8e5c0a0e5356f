"""Notebook pages: each ``.ipynb`` under the project rendered by nbconvert from its STORED outputs.

Nothing is executed. Interlace widgets show their saved ``text/html`` fallback (nbconvert skips a
widget view whose state was not saved). A notebook that cannot be read or rendered gets a page
saying why, and the build goes on.

A notebook executed by nbclient or ``nbconvert --execute`` (or saved by JupyterLab with "save
widget state") keeps its widgets' state, and nbconvert would then draw the live widget view, which
needs a widget manager from a CDN and is blank offline. So a widget output that carries an HTML
fallback is rendered from that fallback here; other widgets' outputs are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["NotebookPage", "find_notebooks", "render_notebook"]

_SKIP = {"__pycache__", ".ipynb_checkpoints", ".interlace", "node_modules", "site-packages"}


@dataclass(frozen=True, slots=True)
class NotebookPage:
    path: str  # relative to the project, with forward slashes
    file: str  # the page, relative to the site root
    title: str
    body: str | None  # the rendered cells; None when it could not be rendered
    error: str | None = None


def find_notebooks(root: Path, *, skip: Path) -> Iterator[Path]:
    """Notebooks under ``root`` in a stable order, leaving out hidden folders and the site itself."""
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root).parts
        if any(p in _SKIP or p.startswith(".") for p in rel) or skip in path.parents:
            continue
        yield path


def page_file(rel: str) -> str:
    return "notebooks/" + rel.removesuffix(".ipynb").replace("/", "--") + ".html"


def render_notebook(path: Path, root: Path, exporter: Any) -> NotebookPage:
    import nbformat

    rel = path.relative_to(root).as_posix()
    try:
        notebook = nbformat.read(path, as_version=4)
        _prefer_fallbacks(notebook)
        body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
    except Exception as exc:  # noqa: BLE001 - any failure of one notebook becomes its page's message
        return NotebookPage(rel, page_file(rel), path.stem, None,
                            f"{type(exc).__name__}: {exc}".strip())
    return NotebookPage(rel, page_file(rel), _title(notebook) or path.stem, body)


def exporter() -> Any:
    """nbconvert's HTML exporter with the ``basic`` template: the cells only, no CDN scripts."""
    from nbconvert import HTMLExporter

    made = HTMLExporter(template_name="basic")
    made.exclude_input_prompt = False
    return made


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _prefer_fallbacks(notebook: Any) -> None:
    for cell in notebook.cells:
        for output in cell.get("outputs", ()):
            data = output.get("data")
            if data and WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]


def _title(notebook: Any) -> str | None:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None
