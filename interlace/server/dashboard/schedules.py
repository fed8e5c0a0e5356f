"""HTML of the dashboard's Schedules and Dead letters tabs, and the notebook-run page.

The notebook page renders an archived ``.ipynb`` itself, escaping everything: code and text
outputs as text, PNG / JPEG outputs as data URIs, never a notebook's own HTML or JavaScript (it
would run with the dashboard's origin). The response carries a CSP that forbids scripts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from interlace.server.dashboard.views import esc, status, table

__all__ = ["PAGE_CSP", "breakers_table", "dead_letters_table", "notebook_page", "notebook_runs_table",
           "schedules_table"]

PAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
_IMAGES = ("image/png", "image/jpeg")


def notebook_link(run_id: str | None) -> str:
    if not run_id:
        return ""
    return (f'<a class="il-notebook-link" href="/api/v1/notebook_runs/{quote(run_id)}/html" '
            f'target="_blank" rel="noopener">{esc(run_id)}</a>')


def schedules_table(rows: Sequence[Mapping[str, Any]], runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per schedule; a notebook schedule's last run links to its rendered notebook."""
    if not rows:
        return '<p class="il-muted">No schedules: add schedule= to a model or schedules: to config.yaml.</p>'
    cols = ["schedule", "kind", "when", "runs", "next fire", "last fire", "status", "last run", "retries"]
    out = []
    for r in rows:
        run_id = r.get("last_run_id")
        link = notebook_link(run_id) if r["kind"] == "notebook" and run_id in runs else esc(run_id)
        state = status("paused") if r.get("paused") else status(r.get("last_status") or "-")
        retry = r.get("retry") or {}
        out.append([r["name"], r["kind"], r["when"], r.get("runs") or r.get("notebook") or " ".join(r.get("select") or ()),
                    r.get("next_fire_at"), r.get("last_fire_at"), state, link,
                    f"{retry.get('max_attempts', 1)} attempts" if retry.get("max_attempts", 1) > 1 else "-"])
    return table(cols, out, raw=("status", "last run"), css_id="il-schedules")


def notebook_runs_table(runs: Sequence[Mapping[str, Any]]) -> str:
    if not runs:
        return '<p class="il-muted">No notebook runs yet.</p>'
    cols = ["run", "notebook", "status", "trigger", "started", "duration (s)", "error"]
    rows = [[notebook_link(r["run_id"]), r["notebook"], status(r["status"]), r.get("trigger"), r.get("started_at"),
             f"{(r.get('duration_ms') or 0) / 1000:.1f}", (r.get("error") or "")[:200]] for r in runs]
    return table(cols, rows, raw=("run", "status"), css_id="il-notebook-runs")


def dead_letters_table(letters: Sequence[Mapping[str, Any]]) -> str:
    if not letters:
        return '<p class="il-muted">No open dead letters.</p>'
    cols = ["id", "kind", "what", "tick", "attempts", "last run", "created", "error"]
    rows = [[x["id"], x["kind"], x.get("schedule") or x.get("model"), x.get("scheduled_at"), x["attempts"],
             x.get("run_id"), x.get("created_at"), (x.get("error") or "").strip().splitlines()[0][:200]
             if x.get("error") else ""] for x in letters]
    return table(cols, rows, css_id="il-dead-letters") + (
        '<p class="il-muted">Retry with <code>interlace dlq retry ID</code> or '
        "<code>POST /api/v1/dlq/ID/retry</code>; resolve with <code>interlace dlq resolve ID</code>.</p>")


def breakers_table(breakers: Sequence[Mapping[str, Any]]) -> str:
    if not breakers:
        return '<p class="il-muted">Every connection\'s circuit breaker is closed.</p>'
    cols = ["connection", "state", "failures", "opened", "last error"]
    rows = [[b["connection"], status(b["status"]), b["failures"], b.get("opened_at"), b.get("last_error")]
            for b in breakers]
    return table(cols, rows, raw=("state",), css_id="il-breakers")


def notebook_page(record: Mapping[str, Any], notebook: Path | None) -> str:
    """The page of one notebook run: its record, then every cell and output of the archive."""
    facts = [("notebook", record["notebook"]), ("status", record["status"]), ("trigger", record.get("trigger")),
             ("started", record.get("started_at")), ("duration (s)", f"{(record.get('duration_ms') or 0) / 1000:.1f}"),
             ("parameters", json.dumps(record.get("parameters") or {}, default=str)),
             ("models built", ", ".join(record.get("models") or []) or "-"), ("error", record.get("error"))]
    head = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts if v is not None)
    if notebook is None or not notebook.is_file():
        body = '<p class="il-muted">The executed notebook was not archived (or has been removed).</p>'
    else:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        body = "".join(_cell(n, c) for n, c in enumerate(cells, 1))
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{esc(record['notebook'])} · "
            f"{esc(record['run_id'])}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{esc(record['notebook'])} <small>run {esc(record['run_id'])}</small></h1>"
            f'<table class="facts">{head}</table>{body}</body></html>')


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _cell(number: int, cell: Mapping[str, Any]) -> str:
    kind = cell.get("cell_type", "code")
    tags = cell.get("metadata", {}).get("tags", [])
    label = f"[{number}] {kind}" + (f" · {', '.join(map(str, tags))}" if tags else "")
    source = f'<pre class="src">{esc(_text(cell.get("source")))}</pre>'
    outputs = "".join(_output(o) for o in cell.get("outputs", []) if isinstance(o, Mapping))
    return f'<section class="cell {esc(kind)}"><div class="label">{esc(label)}</div>{source}{outputs}</section>'


def _output(output: Mapping[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="out {esc(output.get("name"))}">{esc(_text(output.get("text")))}</pre>'
    if kind == "error":
        trace = "\n".join(_text(line) for line in output.get("traceback", []))
        plain = _strip_ansi(trace) or f"{output.get('ename')}: {output.get('evalue')}"
        return f'<pre class="out error">{esc(plain)}</pre>'
    data = output.get("data") or {}
    for mime in _IMAGES:
        if mime in data:
            raw = _text(data[mime]).replace("\n", "")
            try:
                base64.b64decode(raw, validate=True)  # only base64 goes into the data URI
            except ValueError:
                return '<p class="il-muted">(an image output that is not valid base64)</p>'
            return f'<img class="out" alt="output" src="data:{mime};base64,{raw}">'
    if "text/plain" in data:
        return f'<pre class="out">{esc(_text(data["text/plain"]))}</pre>'
    return ""


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1f2328; }
h1 small { color: #6a737d; font-weight: normal; font-size: .9rem; }
table.facts th { text-align: left; padding-right: 1rem; color: #57606a; }
section.cell { border-left: 3px solid #d0d7de; margin: 1rem 0; padding-left: .8rem; }
section.markdown { border-color: #a5d6ff; }
.label { font-size: 12px; color: #6a737d; }
pre { white-space: pre-wrap; margin: .3rem 0; font-size: 13px; }
pre.src { background: #f6f8fa; padding: .5rem; }
pre.error { background: #ffebe9; padding: .5rem; }
pre.stderr { color: #9a6700; }
"""


def read_schedules(ws: Any) -> dict[str, Any]:
    """What the two tabs show, read in one call under the server's lock."""
    errors: dict[str, str] = {}
    try:
        definitions = ws.schedules(errors=errors)
    except Exception as exc:  # noqa: BLE001 - the tab says why instead of failing the whole page
        definitions, errors = {}, {"(config)": str(exc)}
    records = ws.schedule_records()
    rows = []
    for name, d in definitions.items():
        record = records.get(name)
        last = record.to_dict() if record else {}
        rows.append({"name": name, "kind": d.kind, "when": d.timing.describe(), "select": list(d.select),
                     "notebook": d.notebook, "runs": d.runs, "retry": d.retry.to_dict(), **last})
    notebook_runs = [r.to_dict() for r in ws.notebook_runs(limit=20)]
    return {"schedules": rows, "errors": errors, "notebook_runs": notebook_runs,
            "dead_letters": [x.to_dict() for x in ws.dlq.list("open", limit=100)],
            "breakers": [b.to_dict() for b in ws.breakers()]}


def schedules_tab(data: Mapping[str, Any]) -> str:
    runs = {r["run_id"]: r for r in data["notebook_runs"]}
    errors = "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in data["errors"].items())
    return ('<div class="il-card" id="il-schedules-tab"><h2>Schedules</h2>'
            + schedules_table(data["schedules"], runs)
            + (f"<h3>Schedules that do not load</h3><ul>{errors}</ul>" if errors else "")
            + "<h2>Notebook runs</h2>" + notebook_runs_table(data["notebook_runs"])
            + "<h2>Circuit breakers</h2>" + breakers_table(data["breakers"]) + "</div>")


def dead_letters_tab(data: Mapping[str, Any]) -> str:
    return ('<div class="il-card" id="il-dlq-tab"><h2>Dead letters</h2>'
            + dead_letters_table(data["dead_letters"]) + "</div>")
