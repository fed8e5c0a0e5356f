"""HTML fragments for the dashboard, rendered from plain values (rows, specs, histories).

Every value is escaped; links stay inside the dashboard (``?model=NAME``, ``?run=ID``); counts and
durations are formatted for people (:mod:`interlace.server.dashboard.fmt`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from interlace.server.dashboard.fmt import duration, number
from interlace.state.store import describe_changes

__all__ = ["esc", "freshness", "model_link", "model_page", "models_table", "run_link", "runs_table", "table"]


def esc(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S")
    return html.escape(str(value))


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: Sequence[str] = (), css_id: str = "") -> str:
    """An HTML table; cells of the ``raw`` columns are already HTML, all others are escaped."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{v if c in raw else esc(v)}</td>" for c, v in zip(columns, row, strict=True)) + "</tr>"
        for row in rows)
    ident = f' id="{esc(css_id)}"' if css_id else ""
    return f'<table class="il-table"{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def status(value: Any) -> str:
    return f'<span class="il-status-{esc(value)}">{esc(value)}</span>'


def model_link(name: str, base: str) -> str:
    return f'<a class="il-model-link" data-model="{esc(name)}" href="{esc(base)}?model={quote(name)}">{esc(name)}</a>'


def run_link(run_id: str, base: str) -> str:
    return f'<a class="il-run-link" data-run="{esc(run_id)}" href="{esc(base)}?run={quote(run_id)}">{esc(run_id)}</a>'


def tags(values: Iterable[str]) -> str:
    return "".join(f'<span class="il-tag">{esc(t)}</span>' for t in values)


def runs_table(runs: Sequence[Mapping[str, Any]], *, css_id: str = "", base: str | None = None) -> str:
    """Runs, newest first; with ``base`` each run id opens its run page."""
    if not runs:
        return '<p class="il-muted">No runs yet.</p>'
    cols = ["run", "status", "started", "finished", "trigger", "selector", "ok", "failed", "skipped"]
    rows = [[run_link(r["run_id"], base) if base is not None else esc(r["run_id"]), status(r["status"]),
             esc(r["started_at"]), esc(r.get("finished_at")), esc(r.get("trigger")), esc(r.get("selector") or "all"),
             number(r.get("models_succeeded")), number(r.get("models_failed")), number(r.get("models_skipped"))]
            for r in runs]
    return table(cols, rows, raw=cols, css_id=css_id)


def model_runs_table(rows: Sequence[Mapping[str, Any]], *, with_run: bool = True, base: str | None = None) -> str:
    """Per-model outcomes; with ``base`` run ids open their run page and models their model page."""
    if not rows:
        return '<p class="il-muted">No runs of this model yet.</p>'
    cols = (["run"] if with_run else []) + ["model", "status", "finished", "rows", "took", "reason / error"]
    out = []
    for r in rows:
        detail = r.get("error") or r.get("skip_reason") or r.get("reason") or ""
        run = run_link(r["run_id"], base) if base is not None else esc(r["run_id"])
        name = model_link(r["model"], base) if base is not None else esc(r["model"])
        out.append(([run] if with_run else []) + [name, status(r["status"]), esc(r.get("finished_at")),
                                                  number(r.get("rows_affected")), duration(r.get("duration_ms")),
                                                  esc(detail[:300])])
    return table(cols, out, raw=cols)


def models_table(models: Sequence[Mapping[str, Any]], base: str) -> str:
    if not models:
        return '<p class="il-muted">No model matches.</p>'
    cols = ["model", "kind", "materialize", "schema", "tags", "last success", "description"]
    rows = [[model_link(m["name"], base), m["kind"], m["materialize"], m["schema"], tags(m["tags"]),
             m.get("last_success_at"), m.get("description")] for m in models]
    return table(cols, rows, raw=("model", "tags"), css_id="il-models")


def freshness(catalog: Sequence[Mapping[str, Any]], base: str, now: datetime | None = None) -> str:
    if not catalog:
        return '<p class="il-muted">Nothing built yet.</p>'
    now = now or datetime.now(UTC)
    rows = []
    for row in sorted(catalog, key=lambda r: r.get("last_success_at") or now):
        built = row.get("last_success_at")
        age = _age(now - built) if isinstance(built, datetime) else "never"
        rows.append([model_link(row["name"], base), row["materialize"], built, age])
    return table(["model", "materialize", "last success", "age"], rows, raw=("model",))


def _age(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def model_page(detail: Mapping[str, Any], base: str) -> str:
    """A model's facts, columns, neighbours, schema history and runs (the preview is separate)."""
    links = lambda names: ", ".join(model_link(n, base) for n in names) or "—"  # noqa: E731
    facts = [
        ("kind", f"{detail['kind']} · {detail['materialize']} · {detail['strategy']}"),
        ("relation", detail["relation"]), ("owner", detail.get("owner") or "—"),
        ("declared in", detail["origin"]), ("last success", esc(detail.get("last_success_at")) or "never"),
    ]
    facts_html = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    graph_html = (f"<tr><th>reads</th><td>{links(detail['upstream'])}"
                  f"{' · sources: ' + esc(', '.join(detail['sources'])) if detail['sources'] else ''}</td></tr>"
                  f"<tr><th>read by</th><td>{links(detail['downstream'])}</td></tr>")
    columns = (table(["column", "type"], detail["columns"]) if detail["columns"]
               else '<p class="il-muted">Not built yet (or not persisted).</p>')
    history = detail["schema_history"]
    history_html = table(
        ["version", "recorded", "run", "changes"],
        [[v.version, v.recorded_at, v.run_id, describe_changes(v.changes, v.columns)] for v in history],
    ) if history else '<p class="il-muted">No schema recorded yet.</p>'
    return (
        f'<div class="il-card" id="il-model-page" data-model="{esc(detail["name"])}">'
        f'<h2>{esc(detail["name"])} {tags(detail["tags"])}</h2>'
        f'<p>{esc(detail.get("description") or "")}</p>'
        f'<table class="il-table">{facts_html}{graph_html}</table>'
        f"<h3>Lineage</h3>{detail.get('graph', '')}"
        f"<h3>Columns</h3>{columns}<h3>Column lineage</h3>{lineage_list(detail.get('lineage', []))}"
        f"<h3>Quality</h3>{quality_table(detail.get('quality', []))}"
        f"<h3>Schema history</h3>{history_html}"
        f"<h3>Runs</h3>{model_runs_table(detail['runs'], with_run=True, base=base)}"
        f'<h3>Definition</h3><div class="il-code" id="il-definition">{esc(detail.get("definition") or detail["source"])}'
        "</div></div>"
    )


def quality_table(results: Sequence[Mapping[str, Any]], *, with_model: bool = False) -> str:
    """The latest result of each check, with its failing count and message."""
    if not results:
        return '<p class="il-muted">No quality checks have run yet.</p>'
    rows = []
    for r in results:
        status = "warn" if r["status"] == "fail" and r["severity"] == "warn" else r["status"]
        row = [r["check_name"], r["severity"], status, number(r["failing"]), r.get("message") or "", r["checked_at"]]
        rows.append([r["model"], *row] if with_model else row)
    columns = ["check", "severity", "status", "failing", "message", "checked"]
    return table(["model", *columns] if with_model else columns, rows)


def lineage_list(trees: Sequence[Mapping[str, Any]]) -> str:
    """Each column and the columns it is computed from (one level; the CLI and API give the whole tree)."""
    if not trees:
        return '<p class="il-muted">No lineage yet (build the model first).</p>'
    rows = [[t["column"], ", ".join(f"{c['relation']}.{c['column']}" for c in t["children"]) or "—"] for t in trees]
    return table(["column", "computed from"], rows)

