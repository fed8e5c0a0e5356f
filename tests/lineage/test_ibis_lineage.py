"""Lineage of Python models whose ibis expression filters: every output column traced to its source
column (not ``stg.*``), with the filter and grouping columns recorded as such."""

from __future__ import annotations

import pytest

STG = "SELECT range AS id, range * 1.5 AS amount, 'c' || (range % 3) AS customer, 'a' AS status FROM range(6)"
MODELS = {
    "models/stg.sql": STG,
    "models/py_models.py": """
        from interlace import model


        @model
        def positive(stg):
            return stg.filter(stg.amount > 0)


        @model
        def totals(stg):
            return stg.filter(stg.status == "a").group_by("customer").aggregate(total=stg.amount.sum())


        @model
        def picked(stg):
            return stg.filter(stg.id > 1).select("id", "amount")
    """,
}


@pytest.fixture
def edges(make_project, open_ws) -> dict[str, set[tuple]]:
    ws = open_ws(make_project(MODELS))
    ws.run().raise_for_status()
    found: dict[str, set[tuple]] = {}
    for model, column, source, source_column, kind in ws.lineage().edges:
        found.setdefault(model, set()).add((column, source, source_column, kind))
    return found


def test_a_filter_alone_keeps_every_column(edges) -> None:
    assert edges["positive"] == {
        ("amount", "stg", "amount", "value"), ("customer", "stg", "customer", "value"),
        ("id", "stg", "id", "value"), ("status", "stg", "status", "value"),
        (None, "stg", "amount", "filter"),
    }


def test_a_filter_before_group_by_and_aggregate(edges) -> None:
    assert edges["totals"] == {
        ("customer", "stg", "customer", "value"), ("total", "stg", "amount", "value"),
        (None, "stg", "customer", "group"), (None, "stg", "status", "filter"),
    }


def test_a_filter_before_select(edges) -> None:
    assert edges["picked"] == {
        ("id", "stg", "id", "value"), ("amount", "stg", "amount", "value"), (None, "stg", "id", "filter"),
    }
