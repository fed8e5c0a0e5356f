"""Assemble one dashboard session and mount the dashboard in the server's FastAPI app.

A session is built for a :class:`Principal` (from the login cookie when mounted; from the in-page
key form under ``panel serve``). Live updates come from the workspace's event bus: a listener
queues events from the run's threads, and a periodic callback on the session's own loop applies
them to the DAG, the run progress and the tables.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import panel as pn

from interlace.docs.collect import definition_of
from interlace.errors import InterlaceError
from interlace.events import Event
from interlace.formatting import rows_for_people
from interlace.keys import Principal
from interlace.options import RunOptions
from interlace.server import queries
from interlace.server.api.errors import ApiError
from interlace.server.dashboard import pages, views
from interlace.server.dashboard import schedules as scheduling
from interlace.server.dashboard.dag import DagView, dag_value, fold_event
from interlace.server.dashboard.health import config_error_card, health_panel
from interlace.server.dashboard.links import RunView, asked_for, show_in_url
from interlace.server.dashboard.streams import read_streams, streams_panel

if TYPE_CHECKING:
    from fastapi import FastAPI

    from interlace.server.service import Service

__all__ = ["Dashboard", "mount_dashboard"]

STATIC = Path(__file__).with_name("static")
POLL_MS = 300


class Dashboard:
    """The views of one browser session."""

    def __init__(self, svc: Service, principal: Principal, *, base: str, logout: str | None = None,
                 recheck: Callable[[], Principal | None] | None = None) -> None:
        self.svc, self.principal, self.base, self.logout = svc, principal, base, logout
        self._recheck = recheck or (lambda: principal)  # the key as it is now: revoked -> None
        self._pending: collections.deque[Event] = collections.deque(maxlen=10_000)
        self._remove_listener = svc.listen(self._pending.append)
        self._live: dict[str, Any] = {}
        self._css = (STATIC / "dashboard.css").read_text()  # each pane has its own shadow root
        self.dag = DagView(sizing_mode="stretch_width", min_height=300)
        self.progress = self._html("", css_classes=["il-progress"], sizing_mode="stretch_width")
        self.overview = self._html(sizing_mode="stretch_width")
        self.runs_html = self._html(sizing_mode="stretch_width")
        self.quality_html = self._html(sizing_mode="stretch_width")
        self.streams_html = self._html(sizing_mode="stretch_width")
        self.models_html = self._html(sizing_mode="stretch_width")
        self.schedules_html = self._html(sizing_mode="stretch_width")
        self.dlq_html = self._html(sizing_mode="stretch_width")
        self.model_html = self._html(sizing_mode="stretch_width")
        self.preview_html = self._html(sizing_mode="stretch_width")
        self.message = self._html("", sizing_mode="stretch_width")
        self.search = pn.widgets.TextInput(label="Search", placeholder="name or description", width=240)
        self.tag = pn.widgets.Select(label="Tag", options=[""], width=160)
        self.schema = pn.widgets.Select(label="Schema", options=[""], width=160)
        self.picker = pn.widgets.Select(label="Open model", options=[""], width=220)
        self.selector = pn.widgets.TextInput(label="Selector", placeholder="all models (e.g. +orders, tag:marts)",
                                             width=280)
        self.force = pn.widgets.Checkbox(label="force", value=False)
        can_run = principal.allows("run")
        self.run_button = pn.widgets.Button(label="Run", color="primary", disabled=not can_run, width=90,
                                            css_classes=["il-run-button"])
        self.cancel_button = pn.widgets.Button(label="Cancel run", color="warning", disabled=True, width=110)
        self.run_button.on_click(self._start_run)
        self.cancel_button.on_click(self._cancel_run)
        for widget in (self.search, self.tag, self.schema):
            widget.param.watch(lambda _: self._render_models(), "value")
        self.picker.param.watch(lambda e: self.show_model(e.new), "value")
        self.run_view = RunView(svc.call, base, self._html)
        self._models: list[dict[str, Any]] = []
        self.tabs = pn.Tabs(("Overview", self.overview), ("Models", self._models_tab()), ("DAG", self._dag_tab()),
                            ("Runs", pn.Column(self.progress, self.run_view.panel(), self.runs_html,
                                               sizing_mode="stretch_width")),
                            ("Quality", self.quality_html), ("Streams", self.streams_html),
                            ("Schedules", self.schedules_html),
                            ("Dead letters", self.dlq_html),
                            dynamic=False, sizing_mode="stretch_width")
        if not can_run:
            self.message.object = (f'<p class="il-muted">Key \'{views.esc(principal.name)}\' has scope '
                                   f"'{views.esc(principal.scope)}': runs need the 'run' scope.</p>")

    # -- layout ----------------------------------------------------------------------------------
    def _html(self, text: str = "", **params: Any) -> pn.pane.HTML:
        return pn.pane.HTML(text, stylesheets=[self._css], **params)

    def _models_tab(self) -> pn.viewable.Viewable:
        filters = pn.Row(self.search, self.tag, self.schema, self.picker)
        return pn.Column(filters, self.models_html, self.model_html, self.preview_html, sizing_mode="stretch_width")

    def _dag_tab(self) -> pn.viewable.Viewable:
        controls = pn.Row(self.selector, self.force, self.run_button, self.cancel_button)
        return pn.Column(controls, self.message, self.progress, self.dag, sizing_mode="stretch_width")

    def view(self) -> pn.viewable.Viewable:
        title = self.svc.workspace.loaded.config.name or self.svc.workspace.root.name
        who = f"{views.esc(self.principal.name)} ({views.esc(self.principal.scope)})"
        logout = f' · <a href="{views.esc(self.logout)}">sign out</a>' if self.logout else ""
        header = self._html(f'<div class="il-header"><h1>interlace — {views.esc(title)}</h1>'
                              f'<span>{views.esc(self.svc.workspace.env)}</span>'
                              f'<span class="il-user">{who}{logout}</span></div>', sizing_mode="stretch_width")
        self.refresh()
        name, run_id = asked_for("model"), asked_for("run")
        if run_id:
            self.run_view.open(run_id)
            self.tabs.active = list(self.tabs._names).index("Runs")
        elif name:
            if name in self.picker.options:
                self.picker.value = name  # shows the page through the picker's watcher
            else:
                self.show_model(name)
            self.tabs.active = 1
        if pn.state.curdoc is not None:
            pn.state.add_periodic_callback(self._drain, period=POLL_MS)
            pn.state.on_session_destroyed(lambda _ctx: self.close())
        return pn.Column(header, self.tabs, sizing_mode="stretch_width",
                         css_classes=["il-page"])

    # -- data ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read everything the views show (at start, and after each run)."""
        def read(ws: Any) -> dict[str, Any]:
            graph = ws.graph()
            plan = ws.plan()
            return {"models": queries.model_summaries(ws), "runs": [r.to_dict() for r in ws.runs.history(50)],
                    "failures": [r.to_dict() for r in ws.model_runs(status="failed", limit=10)],
                    "catalog": [r.to_dict() for r in ws.catalog().values()], "dag": dag_value(ws.models, graph),
                    "quality": [r.to_dict() for r in ws.quality_results()],
                    "stale": {s.model for s in plan.builds}, "health": ws.health().to_dict(),
                    "config_error": str(ws.config_error) if ws.config_error is not None else None,
                    "streams": read_streams(ws),
                    "scheduling": scheduling.read_schedules(ws)}

        try:
            data = self.svc.call(read)
        except InterlaceError as exc:
            self.overview.object = f'<div class="il-card"><h2>The project does not load</h2><pre>{views.esc(exc)}</pre></div>'
            return
        self._models = data["models"]
        tags = sorted({t for m in self._models for t in m["tags"]})
        self.tag.options = ["", *tags]
        self.schema.options = ["", *sorted({m["schema"] for m in self._models})]
        self.picker.options = ["", *[m["name"] for m in self._models]]
        self._render_models()
        self.overview.object = config_error_card(data["config_error"]) + health_panel(
            data["health"]) + (
            '<div class="il-card"><h2>Recent runs</h2>'
            + views.runs_table(data["runs"][:10], css_id="il-recent-runs", base=self.base)
            + "<h2>Recent failures</h2>" + views.model_runs_table(data["failures"], base=self.base)
            + "<h2>Freshness</h2>" + views.freshness(data["catalog"], self.base) + "</div>")
        self.runs_html.object = '<div class="il-card"><h2>Run history</h2>' + views.runs_table(
            data["runs"], css_id="il-runs", base=self.base) + "</div>"
        self.run_view.offer([r["run_id"] for r in data["runs"]])
        self.quality_html.object = ('<div class="il-card" id="il-quality"><h2>Latest quality results</h2>'
                                    + views.quality_table(data["quality"], with_model=True)
                                    + pages.failing_rows(data["quality"], self.base) + "</div>")
        self.streams_html.object = streams_panel(data["streams"])
        self.schedules_html.object = scheduling.schedules_tab(data["scheduling"])
        self.dlq_html.object = scheduling.dead_letters_tab(data["scheduling"])
        if self.picker.value:  # the open model page shows the run that just ended
            self.show_model(self.picker.value)
        if data["dag"]["nodes"] != self.dag.nodes or data["dag"]["edges"] != self.dag.edges:
            # a new or changed graph starts from what the next run would do; otherwise the
            # statuses keep showing what the last run did
            names = [n["name"] for n in data["dag"]["nodes"]]
            statuses = {n: ("stale" if n in data["stale"] else "fresh") for n in names}
            self.dag.param.update(nodes=data["dag"]["nodes"], edges=data["dag"]["edges"], statuses=statuses)

    def _render_models(self) -> None:
        needle = (self.search.value or "").lower()
        shown = [m for m in self._models
                 if (not needle or needle in m["name"].lower() or needle in (m["description"] or "").lower())
                 and (not self.tag.value or self.tag.value in m["tags"])
                 and (not self.schema.value or m["schema"] == self.schema.value)]
        self.models_html.object = views.models_table(shown, self.base)

    def show_model(self, name: str) -> None:
        show_in_url("model", name)
        if not name:
            self.model_html.object = self.preview_html.object = ""
            return

        def read(ws: Any) -> dict[str, Any]:
            detail = queries.model_detail(ws, name)
            detail["schema_history"] = ws.schema_history(name)
            detail["runs"] = [r.to_dict() for r in ws.model_runs(model=name, limit=20)]
            detail["quality"] = [r.to_dict() for r in ws.quality_results(name)]
            detail["lineage"] = [t.to_dict() for t in ws.lineage().trees(name)]
            detail["definition"] = definition_of(ws.project.get(name))[0]  # with its decorator
            graph = ws.graph()
            detail["graph"] = pages.lineage_graph(name, graph.upstream, graph.downstream, graph.order, self.base)
            return detail

        try:
            detail = self.svc.call(read)
        except InterlaceError as exc:
            self.model_html.object = f'<p class="il-status-failed">{views.esc(exc.message)}</p>'
            self.preview_html.object = ""
            return
        self.model_html.object = views.model_page(detail, self.base)
        try:
            columns, rows = self.svc.call(lambda ws: queries.preview(ws, name, 20))
            body = views.table([c for c, _ in columns], rows_for_people([r.get(c) for c, _ in columns] for r in rows),
                               css_id="il-preview")
        except ApiError as exc:
            body = f'<p class="il-muted">{views.esc(exc.message)}</p>'
        self.preview_html.object = f'<div class="il-card"><h3>Preview (first 20 rows)</h3>{body}</div>'

    # -- runs ------------------------------------------------------------------------------------
    def _allowed(self, scope: str) -> bool:
        """Server-side check of every action: the key still valid and its scope enough."""
        principal = self._recheck()
        if principal is None or not principal.allows(scope):
            why = "its key was revoked or the login expired" if principal is None else (
                f"key '{principal.name}' has scope '{principal.scope}'; this needs '{scope}'")
            self.message.object = f'<p class="il-status-failed" id="il-refused">Refused: {views.esc(why)}.</p>'
            return False
        return True

    def _start_run(self, _event: Any = None) -> None:
        if not self._allowed("run"):
            return
        options = RunOptions(select=tuple((self.selector.value or "").split()), force=bool(self.force.value))
        try:
            run = self.svc.start_run(options, trigger=f"dashboard:{self.principal.name}")
        except (ApiError, InterlaceError) as exc:
            self.message.object = f'<p class="il-status-failed">{views.esc(exc.message)}</p>'
            return
        self._live = {"run_id": run.run_id, "total": len(run.plan.builds), "done": 0}
        self.message.object = f'<p id="il-run-started" data-run="{run.run_id}">Run {run.run_id} started.</p>'
        self.cancel_button.disabled = False

    def _cancel_run(self, _event: Any = None) -> None:
        if not self._allowed("run"):
            return
        run_id = self._live.get("run_id")
        if run_id and self.svc.runs.cancel(run_id):
            self.message.object = f"<p>Cancelling run {views.esc(run_id)}…</p>"

    def _drain(self) -> None:
        """Apply queued events (on this session's loop) to the DAG and the progress line."""
        finished = published = False
        while self._pending:
            event = self._pending.popleft().to_dict()
            fold_event(self.dag, event)
            kind = event["type"]
            published |= kind == "stream.published"
            if kind == "run.started":
                self._live = {"run_id": event["run_id"], "total": event.get("total", 0), "done": 0}
                self.cancel_button.disabled = not self.principal.allows("run")
            elif kind in ("model.finished", "model.failed", "model.skipped") and event["run_id"] == self._live.get("run_id"):
                self._live["done"] = self._live.get("done", 0) + 1
            elif kind in ("run.finished", "run.failed", "run.cancelled"):
                self._live["status"] = event.get("status")
                finished = True
            self._show_progress()
        if finished:
            self.cancel_button.disabled = True
            self.refresh()
        elif published:  # new events: the Streams view only (at most once a poll)
            self.streams_html.object = streams_panel(self.svc.call(read_streams))

    def _show_progress(self) -> None:
        live = self._live
        if not live:
            return
        state = live.get("status") or "running"
        self.progress.object = (f'<p id="il-progress" data-state="{views.esc(state)}">Run {views.esc(live["run_id"])}: '
                                f'{live.get("done", 0)}/{live.get("total", 0)} models done · {views.status(state)}</p>')

    def close(self) -> None:
        self._remove_listener()


def mount_dashboard(app: FastAPI, svc: Service, *, path: str, origins: list[str]) -> None:
    """Serve the dashboard at ``path`` inside ``app`` (behind its auth middleware).

    Session ids are generated and signed by the server; what Bokeh embeds in the page carries no
    request header or cookie (so no key and no session cookie reaches page scripts).
    """
    import secrets

    from panel.io.fastapi import add_applications

    from interlace.server.sessions import open_dashboard_session

    auth_enabled = svc.workspace.loaded.config.service.auth.enabled

    def create() -> pn.viewable.Viewable:
        context = pn.state.curdoc.session_context if pn.state.curdoc is not None else None
        opened = open_dashboard_session(app, context.id if context is not None else None)
        if opened is None:  # the middleware lets no such session through; refuse all the same
            return pn.pane.HTML('<p>Not signed in: <a href="/login">sign in</a>.</p>')
        principal, recheck = opened
        return Dashboard(svc, principal, base=path, logout="/logout" if auth_enabled else None,
                         recheck=recheck).view()

    add_applications({path: create}, app=app, title="interlace", websocket_origin=origins or None,
                     sign_sessions=True, secret_key=secrets.token_urlsafe(32).encode(),
                     include_headers=["User-Agent"], include_cookies=[])
