"""The DAG view's ESM: the vendored layout library (``static/vendor/dagre.min.js``, see the NOTICE
there) followed by ``static/dag.js``, as one module string. anywidget and Panel load an ESM as one
blob, which cannot import a sibling file, so the library travels inside it (no CDN). Shared by the
notebook ``DagWidget`` and the dashboard's ``DagView``. No anywidget or Panel import."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["DAG_CSS", "dag_esm"]

STATIC = Path(__file__).resolve().parent / "static"
DAG_CSS = STATIC / "dag.css"


@cache
def dag_esm() -> str:
    """``dagre`` (defined as a module-level ``var``) then the view, which draws with it."""
    return (STATIC / "vendor" / "dagre.min.js").read_text() + "\n" + (STATIC / "dag.js").read_text()
