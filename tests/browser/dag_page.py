"""The DAG widget's ESM on a page of its own, served over real HTTP on 127.0.0.1, for browser tests
of the drawing on big projects (JupyterLab itself is covered by test_jupyterlab.py).

The page imports exactly the ESM the notebook loads (``dag_esm()``, which is ``DagWidget._esm``: the
vendored layout library then ``static/dag.js``) and its CSS, and hands ``render`` a model object with anywidget's interface
(``get``/``set``/``on``/``off``/``save_changes``) over the widget's synced values.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import interlace
from interlace.widgets.assets import DAG_CSS, dag_esm
from interlace.widgets.dag import DagWidget

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>interlace DAG</title><link rel="stylesheet" href="/dag.css">
<style>.interlace-dag-canvas { max-height: none; }</style></head>
<body style="margin: 16px">  <!-- the canvas unclipped, so the screenshot shows the whole graph -->
<div id="widget"></div>
<script type="module">
import widget from "/dag.js";
const values = await (await fetch("/values.json")).json();
const listeners = {};
const model = {
  get: (key) => values[key],
  set: (key, value) => { values[key] = value; (listeners["change:" + key] || []).forEach((f) => f()); },
  on: (name, f) => { (listeners[name] = listeners[name] || []).push(f); },
  off: (name, f) => { listeners[name] = (listeners[name] || []).filter((g) => g !== f); },
  save_changes: () => {},
};
widget.render({ model, el: document.getElementById("widget") });
document.body.dataset.rendered = "yes";
</script></body></html>
"""

# a few long names: they must be cut to fit their box, with the full name on hover
LONG = ("customer_lifetime_value_by_region_and_month", "orders_enriched_with_payments_and_refunds",
        "marketing_attribution_last_touch_weekly")


def write_project(root: Path, n: int) -> Path:
    """A project of ``n`` models: each reads one to three recent ones, some also one far back (so
    edges cross several columns); every seventh is a Python model; a few have long names."""
    models = root / "models"
    models.mkdir(parents=True)
    names: list[str] = []
    rng = random.Random(n)  # the same project every time
    for i in range(n):
        name = f"{LONG[i // 9 % len(LONG)]}_{i}" if i % 9 == 4 else f"m{i:03d}"
        parents: list[str] = []
        if i >= 3:  # mostly recent models, sometimes one far back (a long edge across many columns)
            near = {names[rng.randrange(max(0, i - 12), i)] for _ in range(rng.choice((1, 1, 2, 2, 3)))}
            parents = sorted(near | ({names[rng.randrange(0, i)]} if rng.random() < 0.15 else set()))
        if i % 7 == 6 and parents:
            args = ", ".join(parents)
            (models / f"{name}.py").write_text(
                f"from interlace import model\n\n\n@model\ndef {name}({args}):\n    return {parents[0]}\n")
        else:
            (models / f"{name}.sql").write_text("SELECT 1 AS x FROM " + (", ".join(parents) or "range(3)") + "\n")
        names.append(name)
    return root


def widget_values(root: Path) -> dict[str, Any]:
    """The synced values of a ``DagWidget`` of the project at ``root``, with a mix of statuses."""
    ws = interlace.open(root)
    try:
        widget = DagWidget.from_graph(ws.models, ws.graph())
    finally:
        ws.close()
    cycle = ("fresh", "success", "stale", "failed", "skipped", "idle")
    statuses = {n["name"]: cycle[i % len(cycle)] for i, n in enumerate(widget.nodes)}
    return {"nodes": widget.nodes, "edges": widget.edges, "statuses": statuses, "runinfo": {},
            "selected": "", "run_state": "success"}


@contextmanager
def serve(values: Mapping[str, Any]) -> Iterator[str]:
    """An HTTP server on a free 127.0.0.1 port serving the page; yields its URL."""
    files = {"/": ("text/html", PAGE), "/dag.js": ("text/javascript", dag_esm()),
             "/dag.css": ("text/css", DAG_CSS.read_text()),
             "/values.json": ("application/json", json.dumps(values))}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            kind, body = files.get(self.path, ("text/plain", None))  # type: ignore[assignment]
            data = (body or "not found").encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
