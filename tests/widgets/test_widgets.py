"""The widgets' synced values, their event handling and their text/HTML fallbacks (in Python;
the browser rendering is tested in tests/browser)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from interlace.events import EventBus
from interlace.project.graph import build_graph
from interlace.project.spec import Origin, make_spec
from interlace.widgets import (
    DagWidget,
    LineageWidget,
    ModelResult,
    PlanView,
    QualityReport,
    RunProgress,
    SchemaDiff,
)
from interlace.widgets.base import STATIC
from interlace.widgets.layout import layout
from interlace.widgets.render import jsonable
from tests.magics.conftest import html_tables

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def specs(deps: dict[str, tuple[str, ...]]) -> dict:
    return {name: make_spec(kind="sql", origin=Origin(f"models/{name}.sql", 1), keywords={}, default_name=name,
                            declared_by="test", sql="SELECT 1", inferred_dependencies=ups)
            for name, ups in deps.items()}


def graph_of(models: dict):  # noqa: ANN201
    return build_graph(models, default_schema="main", relation_exists=lambda ref: False)


def test_layout_puts_each_model_after_its_deepest_upstream() -> None:
    order = ["a", "b", "c", "d", "e"]
    upstream = {"c": ["a"], "d": ["b"], "e": ["a", "d"]}
    positions = layout(order, upstream, dx=1, dy=1)
    assert positions == {"a": (0, 0), "b": (0, 1), "c": (1, 0), "d": (1, 1), "e": (2, 0)}


def test_layout_orders_a_column_by_its_upstreams() -> None:
    positions = layout(["a", "b", "y", "x"], {"x": ["a"], "y": ["b"]}, dx=1, dy=1)
    assert positions["x"] == (1, 0) and positions["y"] == (1, 1)  # x follows a (row 0) despite coming later


def test_layout_of_a_long_chain() -> None:
    order = [f"m{i}" for i in range(10_000)]
    positions = layout(order, {f"m{i}": [f"m{i - 1}"] for i in range(1, 10_000)})
    assert positions["m9999"] == (9999 * 210.0, 0.0)


def test_dag_widget_from_a_graph() -> None:
    models = specs({"raw": (), "clean": ("raw",), "report": ("clean", "raw")})
    widget = DagWidget.from_graph(models, graph_of(models), statuses={"raw": "fresh"})
    assert [(n["name"], n["x"], n["y"]) for n in widget.nodes] == [("raw", 0.0, 0.0), ("clean", 210.0, 0.0),
                                                                    ("report", 420.0, 0.0)]
    report = widget.nodes[2]
    assert report["upstream"] == ["clean", "raw"] and report["origin"] == "models/report.sql:1"
    assert sorted(widget.edges) == [["clean", "report"], ["raw", "clean"], ["raw", "report"]]
    assert widget.statuses == {"raw": "fresh"}
    json.dumps(widget.get_state())  # everything synced is JSON
    only = DagWidget.from_graph(models, graph_of(models), only={"clean", "report"})
    assert [n["name"] for n in only.nodes] == ["clean", "report"] and only.edges == [["clean", "report"]]


def test_dag_widget_follows_run_events() -> None:
    models = specs({"a": (), "b": ("a",), "c": ("b",)})
    widget = DagWidget.from_graph(models, graph_of(models))
    bus = EventBus()
    unsubscribe = widget.follow(bus)
    bus.emit("run.started", run_id="r1", models=["a", "b", "c"], total=3)
    assert widget.statuses == {"a": "queued", "b": "queued", "c": "queued"} and widget.run_state == "running"
    bus.emit("model.started", run_id="r1", model="a")
    assert widget.statuses["a"] == "running"
    bus.emit("model.finished", run_id="r1", model="a", status="success", rows=7, duration_ms=12.5)
    bus.emit("model.failed", run_id="r1", model="b", status="failed",
             error={"message": "DuckDB error: boom", "hint": "fix the SQL"})
    bus.emit("model.skipped", run_id="r1", model="c", status="skipped", reason="upstream model 'b' failed")
    bus.emit("model.finished", run_id="r1", model="not_in_this_graph", status="success")
    bus.emit("run.failed", run_id="r1", status="failed")
    assert widget.statuses == {"a": "success", "b": "failed", "c": "skipped"}
    assert widget.runinfo["a"]["rows"] == 7 and widget.runinfo["b"]["error"] == "DuckDB error: boom"
    assert widget.runinfo["c"]["reason"] == "upstream model 'b' failed"
    assert widget.run_state == "failed"
    unsubscribe()
    bus.emit("model.started", run_id="r2", model="a")
    assert widget.statuses["a"] == "success"  # no longer listening


def test_closing_a_dag_widget_stops_following() -> None:
    models = specs({"a": ()})
    widget = DagWidget.from_graph(models, graph_of(models))
    bus = EventBus()
    widget.follow(bus)
    widget.close()
    bus.emit("model.started", run_id="r", model="a")
    assert bus._handlers == []


def test_dag_fallbacks() -> None:
    models = specs({"a": (), "b": ("a",)})
    widget = DagWidget.from_graph(models, graph_of(models), statuses={"a": "success", "b": "stale"})
    assert widget.to_text().splitlines() == ["DAG: 2 models", "model  kind       reads  status", "-----  ---------  -----  -------",
                                             "a      sql table  -      success", "b      sql table  a      stale"]
    data, _ = widget._repr_mimebundle_()
    assert set(data) == {WIDGET_VIEW, "text/html", "text/plain"}
    bold, tables = html_tables(data["text/html"])
    assert bold == ["DAG"] and tables[0][1:] == [["a", "sql table", "-", "success"], ["b", "sql table", "a", "stale"]]


def test_run_progress_folds_events_and_summarises() -> None:
    progress = RunProgress.waiting(["a", "b"])
    assert progress.to_text().splitlines()[0] == "Run (not started): 0/2 models, waiting"
    for event in (
        {"type": "run.started", "run_id": "r9", "models": ["a", "b"]},
        {"type": "model.started", "model": "a"},
        {"type": "model.finished", "model": "a", "status": "success", "rows": 3, "duration_ms": 1500.0},
        {"type": "model.failed", "model": "b", "status": "failed", "error": {"message": "bad", "hint": "fix b"}},
        {"type": "run.failed", "status": "failed"},
    ):
        progress.apply_event(event)
    assert progress.run_state == "failed" and (progress.done, progress.total) == (2, 2)
    assert progress.models[1] == {"model": "b", "status": "failed", "error": "bad", "hint": "fix b"}
    progress.finish("failed", "Run r9 failed in 1.60s: 1 succeeded, 1 failed, 0 skipped")
    bold, tables = html_tables(progress.to_html())
    assert bold == ["Run r9 failed in 1.60s: 1 succeeded, 1 failed, 0 skipped"]
    assert tables[0][1:] == [["a", "success", "3", "1.50s", ""], ["b", "failed", "", "", "bad"]]


def test_model_result_values_and_fallbacks() -> None:
    widget = ModelResult.of(
        {"model": "orders", "status": "success", "rows": 1200, "inserted": 1000, "updated": 200, "deleted": 0,
         "duration_ms": 250.0, "materialize": "table"},
        columns=["id", "day", "price"], rows=[(1, date(2026, 1, 2), Decimal("9.50"))],
        changes={"added": [["price", "DECIMAL(10,2)"]], "removed": [], "retyped": [["id", "INTEGER", "BIGINT"]]},
    )
    assert widget.preview == {"columns": ["id", "day", "price"], "rows": [[1, "2026-01-02", 9.5]]}
    assert widget.to_text().splitlines()[:2] == [
        "✓ orders: success · 1,200 rows · 1,000 inserted · 200 updated · 0.25s",
        "schema changed: +price DECIMAL(10,2), id: INTEGER → BIGINT",
    ]
    failed = ModelResult.of({"model": "bad", "status": "failed", "error": {
        "message": "DuckDB error: nope", "origin": "nb.ipynb, cell 3", "hint": "fix the SQL"}})
    assert failed.to_text() == "✗ bad: failed\nDuckDB error: nope\nin nb.ipynb, cell 3\nFix: fix the SQL"
    assert "<pre>DuckDB error: nope\nin nb.ipynb, cell 3\nFix: fix the SQL</pre>" in failed.to_html()


def test_model_result_escapes_html() -> None:
    widget = ModelResult.of({"model": "m", "status": "success"}, columns=["<b>"], rows=[("<script>x</script>",)])
    html = widget.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_schema_diff_rows() -> None:
    diff = SchemaDiff.of("m", {"added": [["c", "INTEGER"]], "removed": [["b", "INTEGER"]],
                               "retyped": [["a", "INTEGER", "VARCHAR"]]},
                         columns=[["a", "VARCHAR"], ["c", "INTEGER"], ["d", "DATE"]], before="version 1", after="version 2")
    assert diff.rows == [
        {"column": "a", "change": "retyped", "old": "INTEGER", "new": "VARCHAR"},
        {"column": "c", "change": "added", "old": None, "new": "INTEGER"},
        {"column": "d", "change": "same", "old": "DATE", "new": "DATE"},
        {"column": "b", "change": "removed", "old": "INTEGER", "new": None},
    ]
    assert diff.title() == "Schema of 'm': version 1 → version 2: 1 added, 1 removed, 1 retyped"
    _, tables = html_tables(diff.to_html())
    assert tables[0] == [["", "column", "version 1", "version 2"], ["~", "a", "INTEGER", "VARCHAR"],
                         ["+", "c", "", "INTEGER"], [" ", "d", "DATE", "DATE"], ["-", "b", "INTEGER", ""]]
    created = SchemaDiff.of("n", {"created": True}, columns=[["x", "INTEGER"]])
    assert created.rows == [{"column": "x", "change": "added", "old": None, "new": "INTEGER"}]


@pytest.mark.parametrize("widget", [DagWidget, RunProgress, ModelResult, SchemaDiff, QualityReport, LineageWidget,
                                    PlanView])
def test_assets_ship_in_the_package_and_load_nothing_from_the_network(widget) -> None:
    instance = widget()
    esm, css = instance._esm, instance._css
    assert "export default" in esm and css.strip()
    assert not re.search(r"""(import\s[^;]*from\s*|import\s*\()\s*['"](https?:)?//""", esm)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", css)


def test_static_files_are_package_data() -> None:
    from importlib import resources

    static = resources.files("interlace.widgets") / "static"
    names = {p.name for p in static.iterdir()}
    assert {f"{w}.{ext}" for w in ("dag", "progress", "model_result", "schema_diff", "quality", "lineage", "plan")
            for ext in ("js", "css")} <= names
    assert STATIC.is_dir()


def test_jsonable() -> None:
    assert jsonable({"d": date(2026, 1, 1), "n": Decimal("1.5"), "f": float("nan"), "b": b"\x01", "t": (1, 2)}) == {
        "d": "2026-01-01", "n": 1.5, "f": "nan", "b": "01", "t": [1, 2]}


def test_views_layout_and_the_package_do_not_import_anywidget() -> None:
    import subprocess
    import sys

    code = ("import sys, interlace.widgets, interlace.widgets.views, interlace.widgets.layout\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('anywidget', 'ipywidgets', 'IPython')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_model_result_shows_quality_badges() -> None:
    widget = ModelResult.of({"model": "m", "status": "failed", "checks": [
        {"check": "not_null(id)", "severity": "error", "status": "pass", "failing": 0},
        {"check": "unique(id)", "severity": "error", "status": "fail", "failing": 2},
        {"check": "range(x, 0, 9)", "severity": "warn", "status": "fail", "failing": 1},
    ]})
    assert widget.check_badges() == [("pass", "not_null(id)"), ("fail", "unique(id): 2 failing"),
                                     ("warn", "range(x, 0, 9): 1 failing")]
    assert widget.to_text().splitlines()[1] == "checks: ✓ not_null(id), ✗ unique(id): 2 failing, ! range(x, 0, 9): 1 failing"
