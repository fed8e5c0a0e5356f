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

from interlace.widgets import events
from interlace.widgets.assets import dag_esm
from interlace.widgets.layout import layout

__all__ = ["DagView", "dag_value", "fold_event"]

_WIDGETS = Path(__file__).resolve().parents[2] / "widgets" / "static"


class DagView(AnyWidgetComponent):
    """The models as a graph whose nodes are coloured by status (``data-status`` on each node)."""

    nodes = param.List(default=[])
    edges = param.List(default=[])
    statuses = param.Dict(default={})
    runinfo = param.Dict(default={})
    selected = param.String(default="")
    run_state = param.String(default="idle")

    _esm = dag_esm()  # the notebook widget's ESM: the vendored layout library, then dag.js

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
    """Apply one event (``Event.to_dict()``) to the view's statuses, as the notebook widget does."""
    state = events.fold_event({n["name"] for n in view.nodes},
                              events.DagState(dict(view.statuses), dict(view.runinfo), view.run_state), event)
    if state is not None:
        view.param.update(statuses=state.statuses, runinfo=state.runinfo, run_state=state.run_state)
