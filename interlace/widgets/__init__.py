"""The notebook widgets: anywidget views of plain values (a graph, a run's events, a result, a diff).

Owns: ``DagWidget``, ``RunProgress``, ``ModelResult``, ``SchemaDiff``, ``QualityReport``,
``LineageWidget``, ``PlanView`` (one per module, each with its
ESM and CSS under ``widgets/static/`` — shipped in the package, never fetched from a CDN) and the
HTML/text views used by the magics. Every widget also renders a readable text/HTML fallback for
exported notebooks and terminals. Widgets take values, never the ``Workspace``, so the Panel app
can host the same ESM.

Must not import: ``interlace.magics``, the server, or the workspace. anywidget is imported only
when a widget class is first used (``import interlace.widgets`` stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.widgets.dag import DagWidget
    from interlace.widgets.lineage import LineageWidget
    from interlace.widgets.model_result import ModelResult
    from interlace.widgets.plan import PlanView
    from interlace.widgets.progress import RunProgress
    from interlace.widgets.quality import QualityReport
    from interlace.widgets.schema_diff import SchemaDiff

__all__ = ["DagWidget", "LineageWidget", "ModelResult", "PlanView", "QualityReport", "RunProgress", "SchemaDiff"]

_WHERE = {
    "DagWidget": "interlace.widgets.dag",
    "RunProgress": "interlace.widgets.progress",
    "ModelResult": "interlace.widgets.model_result",
    "SchemaDiff": "interlace.widgets.schema_diff",
    "QualityReport": "interlace.widgets.quality",
    "LineageWidget": "interlace.widgets.lineage",
    "PlanView": "interlace.widgets.plan",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'interlace.widgets' has no attribute {name!r}")
