"""What the dashboard shows is in its URL: ``?model=NAME`` or ``?run=ID``, so a link can be shared.

:class:`RunView` is the run page (a picker of recent runs and the page of the one open);
:func:`show_in_url` puts what was just opened in the browser's address bar without a reload
(Panel's ``Location``), and :func:`asked_for` reads what a loaded URL asks to open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import panel as pn

from interlace.errors import InterlaceError
from interlace.server.dashboard import pages, views

__all__ = ["RunView", "asked_for", "show_in_url"]

RUN_MODELS = 10_000  # a run page lists every model of the run
RUN_CHECKS = 5_000  # quality results read to find a run's checks


def asked_for(name: str) -> str | None:
    """The value of query parameter ``name`` in the URL this session was opened with."""
    values = pn.state.session_args.get(name) if pn.state.curdoc else None
    return values[0].decode("utf-8", "replace") if values else None


def show_in_url(name: str, value: str) -> None:
    """Make the address bar say ``?name=value``; no reload. An empty ``value`` clears the query when
    it was showing ``name`` (closing a run page leaves a model's URL alone)."""
    location = pn.state.location if pn.state.curdoc is not None else None
    if location is None:
        return
    if not value and name not in parse_qs(location.search.lstrip("?")):
        return
    search = f"?{urlencode({name: value})}" if value else ""
    if location.search != search:
        location.search = search


class RunView:
    """The run page: status, trigger, timings; each model's status, time, rows and error; its checks."""

    def __init__(self, call: Callable[[Callable[[Any], Any]], Any], base: str,
                 html: Callable[..., pn.pane.HTML]) -> None:
        self.call, self.base = call, base
        self.picker = pn.widgets.Select(label="Open run", options=[""], width=260)
        self.page = html("", sizing_mode="stretch_width")
        self.picker.param.watch(lambda e: self.show(e.new), "value")

    def offer(self, run_ids: list[str]) -> None:
        """The runs the picker lists (newest first); the open one stays listed."""
        current = self.picker.value
        self.picker.options = ["", *run_ids, *([current] if current and current not in run_ids else [])]

    def open(self, run_id: str) -> None:
        if run_id not in self.picker.options:
            self.picker.options = [*self.picker.options, run_id]
        if self.picker.value == run_id:
            self.show(run_id)
        else:
            self.picker.value = run_id  # shows it through the watcher

    def show(self, run_id: str) -> None:
        show_in_url("run", run_id)
        if not run_id:
            self.page.object = ""
            return

        def read(ws: Any) -> dict[str, Any]:
            run = ws.run_record(run_id).to_dict()
            models = [r.to_dict() for r in ws.model_runs(run_id=run_id, limit=RUN_MODELS)]
            checks = [r.to_dict() for r in ws.quality_results(latest=False, limit=RUN_CHECKS) if r.run_id == run_id]
            return {"run": run, "models": models, "checks": checks}

        try:
            data = self.call(read)
        except InterlaceError as exc:
            self.page.object = f'<pre class="il-error" id="il-run-missing">{views.esc(exc)}</pre>'
            return
        self.page.object = pages.run_page(data["run"], data["models"], data["checks"], self.base)

    def panel(self) -> pn.viewable.Viewable:
        return pn.Column(self.picker, self.page, sizing_mode="stretch_width")
