"""``DagWidget``: the models as a laid-out graph whose nodes follow a run's events live.

Built from plain values (``ModelSpec``s and a ``Graph``); :meth:`DagWidget.follow` subscribes it to
an event bus so node colours change as models are queued, start, finish or fail. Clicking a node
shows its details (kind, materialization, origin, reads/read by, and what the last run did).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

import traitlets

from interlace.widgets.assets import DAG_CSS, dag_esm
from interlace.widgets.base import FallbackWidget, html_table, text_table
from interlace.widgets.events import DagState, fold_event
from interlace.widgets.layout import layout

__all__ = ["STATUSES", "DagNode", "DagWidget"]

# idle: nothing known this session; stale: the next run would build it; the rest follow events
STATUSES = ("idle", "stale", "fresh", "queued", "running", "success", "failed", "skipped", "cancelled")


class DagNode(TypedDict):
    name: str
    kind: str
    materialize: str
    strategy: str
    origin: str
    tags: list[str]
    description: str
    upstream: list[str]
    downstream: list[str]
    sources: list[str]
    x: float
    y: float


class DagWidget(FallbackWidget):
    """The dependency graph of a project's models.

    >>> from interlace.widgets import DagWidget
    >>> w = DagWidget(nodes=[], edges=[])
    >>> w.apply_event({"type": "run.started", "models": []}); w.run_state
    'running'
    """

    _esm = dag_esm()  # the vendored layout library, then static/dag.js
    _css = DAG_CSS

    nodes = traitlets.List(traitlets.Dict()).tag(sync=True)
    edges = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    statuses = traitlets.Dict().tag(sync=True)  # model -> one of STATUSES
    runinfo = traitlets.Dict().tag(sync=True)  # model -> {rows, duration_ms, error, reason}
    selected = traitlets.Unicode("").tag(sync=True)  # set by a click in the browser
    run_state = traitlets.Unicode("idle").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._unsubscribe: list[Callable[[], None]] = []

    @classmethod
    def from_graph(cls, models: Mapping[str, Any], graph: Any, *, only: set[str] | None = None,
                   statuses: Mapping[str, str] | None = None) -> DagWidget:
        """A widget for ``models`` (``ModelSpec``s) laid out by ``graph`` (a ``Graph``), or the ``only`` subset."""
        nodes, edges = _drawing(models, graph, only)
        return cls(nodes=nodes, edges=edges, statuses=dict(statuses or {}))

    def redraw(self, models: Mapping[str, Any], graph: Any, *, only: set[str] | None = None,
               statuses: Mapping[str, str] | None = None) -> None:
        """Draw the models as they are now (a cell declared or replaced one); known statuses are kept."""
        nodes, edges = _drawing(models, graph, only)
        planned = statuses or {}
        with self._lock:
            merged = {n["name"]: _merged(self.statuses.get(n["name"]), planned.get(n["name"])) for n in nodes}
            self.nodes, self.edges, self.statuses = [dict(n) for n in nodes], edges, merged

    # -- live status -----------------------------------------------------------------------------
    def follow(self, bus: Any) -> Callable[[], None]:
        """Update the nodes from ``bus`` (an ``EventBus``) until :meth:`close`; returns an unsubscribe."""
        unsubscribe: Callable[[], None] = bus.subscribe(lambda event: self.apply_event(event.to_dict()))
        self._unsubscribe.append(unsubscribe)
        return unsubscribe

    def apply_event(self, event: Mapping[str, Any]) -> None:
        """Fold one event (``Event.to_dict()``) into the node statuses."""
        known = {n["name"] for n in self.nodes}
        with self._lock:
            state = fold_event(known, DagState(dict(self.statuses), dict(self.runinfo), self.run_state), event)
            if state is not None:
                self.statuses, self.runinfo, self.run_state = state.statuses, state.runinfo, state.run_state

    def close_followers(self) -> None:
        """Stop following every bus this widget follows."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def close(self) -> None:
        self.close_followers()
        super().close()

    # -- fallbacks -------------------------------------------------------------------------------
    def _rows(self) -> list[list[str]]:
        return [[n["name"], f"{n['kind']} {n['materialize']}", ", ".join(n["upstream"]) or "-",
                 self.statuses.get(n["name"], "idle")] for n in self.nodes]

    def to_text(self) -> str:
        if not self.nodes:
            return "DAG: no models"
        return f"DAG: {len(self.nodes)} models\n" + text_table(["model", "kind", "reads", "status"], self._rows())

    def to_html(self) -> str:
        if not self.nodes:
            return "<p><b>DAG</b>: no models</p>"
        return (f"<div class='interlace-dag-fallback'><b>DAG</b>: {len(self.nodes)} models"
                + html_table(["model", "kind", "reads", "status"], self._rows()) + "</div>")


def _merged(previous: str | None, planned: str | None) -> str:
    """A node's status after a redraw: what the plan says, except that a red node stays red until it
    is rebuilt and a green one stays green while it is up to date."""
    if (planned == "stale" and previous in ("failed", "cancelled")) or (planned == "fresh" and previous == "success"):
        return previous
    return planned or previous or "idle"


def _drawing(models: Mapping[str, Any], graph: Any, only: set[str] | None) -> tuple[list[DagNode], list[list[str]]]:
    names = [n for n in graph.order if only is None or n in only]
    positions = layout(names, graph.upstream)
    nodes: list[DagNode] = []
    for name in names:
        spec = models[name]
        x, y = positions[name]
        nodes.append(DagNode(
            name=name, kind=spec.kind, materialize=spec.materialize, strategy=spec.strategy,
            origin=str(spec.origin), tags=list(spec.tags), description=spec.config.description or "",
            upstream=list(graph.upstream.get(name, ())), downstream=list(graph.downstream.get(name, ())),
            sources=list(graph.sources.get(name, ())), x=x, y=y,
        ))
    kept = set(names)
    edges = [[up, name] for name in names for up in graph.upstream.get(name, ()) if up in kept]
    return nodes, edges


