"""``QualityReport``, ``LineageWidget`` and ``PlanView``: synced values and text/HTML fallbacks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import traitlets

from interlace.widgets import LineageWidget, PlanView, QualityReport
from tests.magics.conftest import html_tables

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def result(check: str, status: str, *, severity: str = "error", failing: int = 0, **extra) -> dict:  # noqa: ANN003
    return {"model": "orders", "check_name": check, "check_type": check.split("(")[0], "severity": severity,
            "status": status, "failing": failing, "sql": "", "samples": [], "message": "", "checked_at": WHEN,
            **extra}


RESULTS = [
    result("not_null(id)", "pass"),
    result("unique(id)", "fail", failing=2, sql='SELECT id FROM "main"."orders" GROUP BY id HAVING count(*) > 1',
           samples=[{"id": 7, "n": 2}, {"id": "<b>", "n": 3}], message="2 duplicate values of id"),
    result("row_count(>0)", "fail", severity="warn", failing=1, message="no rows"),
    result("accepted_values(s)", "error", message="column 's' does not exist"),
]


def test_quality_report_values() -> None:
    report = QualityReport.of(RESULTS, label="Quality of 'orders'")
    assert [r["outcome"] for r in report.results] == ["pass", "fail", "warn", "error"]
    assert report.results[0]["checked_at"] == "2026-03-04T05:06:07+00:00"  # JSON-safe for the browser
    assert report.results[1]["samples"] == [{"id": 7, "n": 2}, {"id": "<b>", "n": 3}]
    assert report.counts() == {"pass": 1, "warn": 1, "fail": 1, "error": 1}
    assert report.title() == "Quality of 'orders': 4 checks · 1 pass · 1 warn · 1 fail · 1 error"


def test_quality_report_fallbacks() -> None:
    report = QualityReport.of(RESULTS)
    data, _ = report._repr_mimebundle_()
    assert set(data) == {WIDGET_VIEW, "text/html", "text/plain"}
    bold, tables = html_tables(data["text/html"])
    assert bold == ["Quality: 4 checks · 1 pass · 1 warn · 1 fail · 1 error"]
    assert tables[0][0] == ["model", "check", "severity", "status", "failing", "checked"]
    assert tables[0][1:] == [["orders", "not_null(id)", "error", "pass", "0", "2026-03-04 05:06:07"],
                             ["orders", "unique(id)", "error", "fail", "2", "2026-03-04 05:06:07"],
                             ["orders", "row_count(>0)", "warn", "warn", "1", "2026-03-04 05:06:07"],
                             ["orders", "accepted_values(s)", "error", "error", "0", "2026-03-04 05:06:07"]]
    assert tables[1] == [["id", "n"], ["7", "2"], ["<b>", "3"]]  # the failing rows of unique(id)
    assert "<b>&lt;b&gt;" not in data["text/html"] and "&lt;b&gt;" in data["text/html"]
    assert "<pre>SELECT id FROM &quot;main&quot;.&quot;orders&quot;" in data["text/html"]
    text = data["text/plain"].splitlines()
    assert "orders: unique(id) — 2 duplicate values of id" in text
    assert '  reproduce: SELECT id FROM "main"."orders" GROUP BY id HAVING count(*) > 1' in text
    assert "  {'id': 7, 'n': 2}" in text
    assert "orders: accepted_values(s) — column 's' does not exist" in text
    empty = QualityReport.of([])
    assert empty.to_text() == "Quality: no results yet (declare quality_checks and run the models)"
    assert html_tables(empty.to_html()) == (["Quality: no results yet (declare quality_checks and run the models)"], [])


def node(relation: str, column: str, *children: dict, kind: str = "value") -> dict:
    return {"relation": relation, "column": column, "kind": kind, "children": list(children)}


UPSTREAM = node("mart", "total", node("stg", "amount", node("raw", "price"), node("raw", "qty")),
                node("stg", "region", kind="filter"))


def test_lineage_widget_values_and_selection() -> None:
    widget = LineageWidget.of(UPSTREAM)
    assert widget.trees == [UPSTREAM] and widget.direction == "upstream" and widget.selected == ""
    assert widget.flows() == {("stg.amount", "mart.total"), ("raw.price", "stg.amount"), ("raw.qty", "stg.amount"),
                              ("stg.region", "mart.total")}
    widget.selected = "stg.amount"  # a click in the view syncs this
    assert widget.related() == {"upstream": ["raw.price", "raw.qty"], "downstream": ["mart.total"]}
    assert widget.related("raw.qty") == {"upstream": [], "downstream": ["stg.amount"]}
    down = LineageWidget.of([node("raw", "price", node("stg", "amount", node("mart", "total")))], direction="downstream")
    down.selected = "stg.amount"
    assert down.related() == {"upstream": ["raw.price"], "downstream": ["mart.total"]}
    with pytest.raises(traitlets.TraitError):
        LineageWidget.of(UPSTREAM, direction="sideways")


def test_lineage_widget_fallbacks() -> None:
    widget = LineageWidget.of([UPSTREAM, node("mart", "n")])
    data, _ = widget._repr_mimebundle_()
    assert set(data) == {WIDGET_VIEW, "text/html", "text/plain"}
    assert data["text/plain"].splitlines() == [
        "Lineage of mart.total, mart.n (upstream)", "mart.total", "  ← stg.amount", "    ← raw.price",
        "    ← raw.qty", "  ← stg.region (filter)", "mart.n"]
    bold, _ = html_tables(data["text/html"])
    assert bold == ["Lineage of mart.total, mart.n (upstream)"]
    assert re.findall(r"<code>(.*?)</code>", data["text/html"]) == [
        "mart.total", "stg.amount", "raw.price", "raw.qty", "stg.region (filter)", "mart.n"]
    assert LineageWidget.of([]).to_text() == "Lineage of nothing (no lineage recorded) (upstream)"
    assert "&lt;x&gt;" in LineageWidget.of(node("<x>", "c")).to_html()


PLAN = {"steps": [{"model": "a", "action": "build", "reason": "its SQL changed", "upstream": []},
                  {"model": "b", "action": "skip", "reason": "up to date", "upstream": ["a"]}],
        "selected": ["a", "b"]}
PREVIEWS = {"a": {"model": "a", "note": "", "changes": [
    {"column": "x", "kind": "removed", "old_type": "INTEGER", "new_type": None},
    {"column": "y", "kind": "added", "old_type": None, "new_type": "VARCHAR"},
    {"column": "z", "kind": "narrowed", "old_type": "BIGINT", "new_type": "INTEGER"}],
    "breaking": [{"column": "x", "kind": "removed", "read_by": ["b", "c"]}]}}


def test_plan_view_without_diff_matches_the_plain_plan() -> None:
    view = PlanView.of(PLAN)
    assert view.previews is None and [s["model"] for s in view.steps] == ["a", "b"]
    data, _ = view._repr_mimebundle_()
    assert set(data) == {WIDGET_VIEW, "text/html", "text/plain"}
    bold, tables = html_tables(data["text/html"])
    assert bold == ["Plan: 1 of 2 models to build"]
    assert tables[0] == [["model", "action", "reason"], ["a", "build", "its SQL changed"], ["b", "skip", "up to date"]]
    empty = PlanView.of({"steps": []})
    assert empty.to_text() == "Plan: the selection matched no models"
    assert html_tables(empty.to_html()) == (["Plan: the selection matched no models"], [])


def test_plan_view_with_schema_changes_flags_breaking_ones() -> None:
    view = PlanView.of(PLAN, PREVIEWS)
    assert view.breaking() == [("a", "x", "removed", ["b", "c"])]
    assert view.title() == "Plan: 1 of 2 models to build · 1 BREAKING"
    bold, tables = html_tables(view.to_html())
    assert bold == ["Plan: 1 of 2 models to build · 1 BREAKING"]
    assert tables[0][0] == ["model", "action", "reason", "schema"]
    assert tables[0][1][3] == ("-x INTEGER; +y VARCHAR; ~z BIGINT → INTEGER (narrowed); "
                               "BREAKING x (removed) read by b, c")
    assert tables[0][2][3] == ""  # not built: no preview
    assert view.to_text().splitlines()[0] == "Plan: 1 of 2 models to build · 1 BREAKING"
    noted = PlanView.of(PLAN, {"a": {"model": "a", "note": "new: its table does not exist yet", "changes": [],
                                     "breaking": []}})
    assert noted.schema_cell("a") == "new: its table does not exist yet"
    unchanged = PlanView.of(PLAN, {"a": {"model": "a", "note": "", "changes": [], "breaking": []}})
    assert unchanged.schema_cell("a") == "no change"
