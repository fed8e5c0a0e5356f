"""The dashboard's run page, failing rows and lineage graph (HTML fragments).

Shared with the docs site where one rendering serves both: the lineage graph is the docs site's
neighbourhood SVG (:func:`interlace.docs.graph.neighbourhood_svg`) with dashboard links, and a
Python model's source is :func:`interlace.docs.collect.definition_of` (the function as written,
decorator included). Links stay inside the dashboard: ``?model=NAME`` and ``?run=ID``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from interlace.docs.graph import neighbourhood, neighbourhood_svg
from interlace.server.dashboard.fmt import duration, number
from interlace.server.dashboard.views import esc, model_link, status, table

__all__ = ["SAMPLE_ROWS", "failing_rows", "lineage_graph", "run_page"]

SAMPLE_ROWS = 10  # quality keeps up to ten failing rows per check result
GRAPH_HOPS = 2


def _elapsed(started: Any, finished: Any) -> str:
    if isinstance(started, datetime) and isinstance(finished, datetime):
        return duration((finished - started).total_seconds() * 1000)
    return "-"


def run_page(run: Mapping[str, Any], models: Sequence[Mapping[str, Any]],
             checks: Sequence[Mapping[str, Any]], base: str) -> str:
    """One run: its facts, then each model's status, timing, row counts and error, then its checks."""
    facts = [
        ("status", status(run["status"])), ("trigger", esc(run.get("trigger") or "-")),
        ("selector", esc(run.get("selector") or "all models")), ("environment", esc(run.get("env") or "-")),
        ("started", esc(run.get("started_at")) or "-"), ("finished", esc(run.get("finished_at")) or "-"),
        ("took", _elapsed(run.get("started_at"), run.get("finished_at"))),
        ("models", f"{number(run.get('models_total'))} planned · {number(run.get('models_succeeded'))} built · "
                   f"{number(run.get('models_failed'))} failed · {number(run.get('models_skipped'))} skipped"),
    ]
    facts_html = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in facts)
    error = f'<pre class="il-error" id="il-run-error">{esc(run["error"])}</pre>' if run.get("error") else ""
    rows = []
    for m in sorted(models, key=lambda r: (r.get("started_at") is None, r.get("started_at") or 0, r["model"])):
        detail = m.get("error") or m.get("skip_reason") or m.get("reason") or ""
        changed = " / ".join(number(m.get(k)) for k in ("inserted", "updated", "deleted"))
        rows.append([model_link(m["model"], base), status(m["status"]), esc(m.get("action") or ""),
                     esc(m.get("started_at")), duration(m.get("duration_ms")), number(m.get("rows_affected")),
                     changed, f'<pre class="il-error">{esc(detail)}</pre>' if m.get("error") else esc(detail)])
    columns = ["model", "status", "action", "started", "took", "rows", "inserted / updated / deleted", "reason / error"]
    models_html = (table(columns, rows, raw=tuple(columns), css_id="il-run-models") if rows
                   else '<p class="il-muted">No model was built or skipped in this run.</p>')
    checks_html = failing_rows(checks, base, title="Quality checks of this run", all_checks=True)
    return (f'<div class="il-card" id="il-run-page" data-run="{esc(run["run_id"])}">'
            f'<h2>Run {esc(run["run_id"])}</h2><table class="il-table">{facts_html}</table>{error}'
            f"<h3>Models</h3>{models_html}{checks_html}</div>")


def failing_rows(results: Sequence[Mapping[str, Any]], base: str, *, title: str = "Failing rows",
                 all_checks: bool = False) -> str:
    """Each failing check with the sample of failing rows quality stored (up to ten per result).

    With ``all_checks``, passing checks are listed too (a run page shows everything it checked).
    """
    shown = [r for r in results if all_checks or r["status"] != "pass"]
    if not shown:
        return "" if all_checks else '<p class="il-muted" id="il-no-failing">No check is failing.</p>'
    parts = [f"<h3>{esc(title)}</h3>"]
    for r in shown:
        level = "warn" if r["status"] == "fail" and r["severity"] == "warn" else r["status"]
        samples = [s for s in (r.get("samples") or []) if isinstance(s, Mapping)][:SAMPLE_ROWS]
        head = (f'{model_link(r["model"], base)} · <b>{esc(r["check_name"])}</b> {status(level)} · '
                f'{number(r.get("failing"))} failing row{"" if r.get("failing") == 1 else "s"}')
        body = ""
        if samples:
            names = list(dict.fromkeys(k for s in samples for k in s))
            cells = [[number(s.get(n)) if isinstance(s.get(n), int | float) else s.get(n) for n in names]
                     for s in samples]
            more = int(r.get("failing") or 0) - len(samples)
            body = table(names, cells) + (f'<p class="il-muted">and {number(more)} more (the first '
                                          f"{len(samples)} are kept)</p>" if more > 0 else "")
        message = f'<p class="il-muted">{esc(r["message"])}</p>' if r.get("message") else ""
        parts.append(f'<div class="il-check" data-check="{esc(r["check_name"])}" data-model="{esc(r["model"])}">'
                     f"<p>{head}</p>{message}{body}</div>")
    return "".join(parts)


def lineage_graph(name: str, upstream: Mapping[str, Sequence[str]], downstream: Mapping[str, Sequence[str]],
                  order: Sequence[str], base: str) -> str:
    """The model's neighbourhood (two hops) as a graph whose nodes open their model page."""
    position = {n: i for i, n in enumerate(order)}
    if name not in position:
        return ""
    hood = neighbourhood(name, upstream, downstream, position, hops=GRAPH_HOPS)
    svg = neighbourhood_svg(hood, upstream, lambda n: f"{base}?model={quote(n)}")
    hidden = f'<p class="il-muted">{number(hood.hidden)} more models within {GRAPH_HOPS} hops are not drawn.</p>' \
        if hood.hidden else ""
    return f'<div class="il-graph-box" id="il-lineage-graph">{svg}</div>{hidden}'
