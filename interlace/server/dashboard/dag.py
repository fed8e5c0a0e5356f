"""The DAG view: the notebook ``DagWidget``'s ESM in Panel, fed from the same value format.

``dag_value`` builds the widget's ``nodes``/``edges`` from a workspace's models and graph (laid out
by ``interlace.widgets.layout``); ``fold_event`` updates ``statuses``/``runinfo``/``run_state``
from one event, as ``DagWidget.apply_event`` does in the notebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import param
from panel.custom import AnyWidgetComponent

from interlace.widgets.layout import layout

__all__ = ["DagView", "dag_value", "fold_event"]

_WIDGETS = Path(__file__).resolve().parents[2] / "widgets" / "static"
_EVENT_STATUS = {"model.queued": "queued", "model.started": "running", "model.finished": "success",
                 "model.failed": "failed"}


class DagView(AnyWidgetComponent):
    """The models as a graph whose nodes are coloured by status (``data-status`` on each node)."""

    nodes = param.List(default=[])
    edges = param.List(default=[])
    statuses = param.Dict(default={})
    runinfo = param.Dict(default={})
    selected = param.String(default="")
    run_state = param.String(default="idle")

    _esm = _WIDGETS / "dag.js"

    def __init__(self, **params: Any) -> None:
        # the widget's CSS travels inline with the component (no extra request, no CDN)
        params.setdefault("stylesheets", [(_WIDGETS / "dag.css").read_text()])
        super().__init__(**params)


def dag_value(models: Mapping[str, Any], graph: Any) -> dict[str, Any]:
    """``nodes`` and ``edges`` in the ``DagWidget`` format for every model of ``graph``."""
    names = list(graph.order)
    positions = layout(names, graph.upstream)
    nodes = []
    for name in names:
        spec = models[name]
        x, y = positions[name]
        nodes.append({
            "name": name, "kind": spec.kind, "materialize": spec.materialize, "strategy": spec.strategy,
            "origin": str(spec.origin), "tags": list(spec.tags), "description": spec.config.description or "",
            "upstream": list(graph.upstream.get(name, ())), "downstream": list(graph.downstream.get(name, ())),
            "sources": list(graph.sources.get(name, ())), "x": x, "y": y,
        })
    edges = [[up, name] for name in names for up in graph.upstream.get(name, ())]
    return {"nodes": nodes, "edges": edges}


def fold_event(view: DagView, event: Mapping[str, Any]) -> None:
    """Apply one event (``Event.to_dict()``) to the view's statuses."""
    kind, model = event.get("type"), event.get("model")
    known = {n["name"] for n in view.nodes}
    statuses, info = dict(view.statuses), dict(view.runinfo)
    if kind == "run.started":
        for name in event.get("models", ()):
            if name in known:
                statuses[name] = "queued"
        view.run_state = "running"
    elif kind in ("run.finished", "run.failed", "run.cancelled"):
        view.run_state = str(event.get("status") or str(kind).split(".")[1])
        return
    elif model in known and kind in _EVENT_STATUS:
        statuses[model] = _EVENT_STATUS[str(kind)]
        if kind in ("model.finished", "model.failed"):
            info[model] = _run_info(event)
    elif model in known and kind == "model.skipped":
        statuses[model] = str(event.get("status") or "skipped")
        info[model] = _run_info(event)
    else:
        return
    view.param.update(statuses=statuses, runinfo=info)


def _run_info(event: Mapping[str, Any]) -> dict[str, Any]:
    error = event.get("error") or {}
    return {
        "status": event.get("status"), "rows": event.get("rows"), "duration_ms": event.get("duration_ms"),
        "reason": event.get("reason") or event.get("skip_reason"),
        "error": error.get("message") if isinstance(error, dict) else None,
        "hint": error.get("hint") if isinstance(error, dict) else None,
    }
