"""What every widget shares: its static assets and the text/HTML fallback in its display bundle.

A widget's display bundle carries three representations: the live anywidget view (JupyterLab,
Notebook 7, VS Code), ``text/html`` (exported notebooks, GitHub, frontends without the widget
manager) and ``text/plain`` (terminals). The two fallbacks are rendered in Python from the same
synced values as the live view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget

from interlace.widgets.render import escape, html_table, jsonable, text_table

__all__ = ["STATIC", "FallbackWidget", "escape", "html_table", "jsonable", "text_table"]

STATIC = Path(__file__).resolve().parent / "static"


class FallbackWidget(anywidget.AnyWidget):
    """An anywidget whose display bundle also carries its text/HTML fallback.

    Subclasses define ``to_text()`` and ``to_html()`` (from their synced values).
    """

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        fallback = {"text/plain": self.to_text(), "text/html": self.to_html()}
        return {**data, **fallback}, metadata
