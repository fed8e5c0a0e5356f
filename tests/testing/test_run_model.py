"""``interlace.testing``: one model built on given inputs through the real engine path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from interlace import ExecutionError, model
from interlace.testing import assert_checks_pass, mock_dependency, run_model

PROJECT = {
    "models/staging/stg_orders.sql": """
        -- @model(materialize="view")
        SELECT * FROM read_csv('data/orders.csv')
    """,
    "models/marts/order_totals.sql": """
        -- @model(materialize="table", quality_checks=[{"not_null": "customer"}])
        SELECT customer, sum(amount) AS total, count(*) AS orders
        FROM stg_orders GROUP BY customer ORDER BY customer
    """,
}


def test_python_model_on_records_frames_and_arrow() -> None:
    @model(materialize="table")
    def joined(customers, orders):
        return orders.join(customers, "customer_id").select("customer_id", "name", "amount").order_by("amount")

    customers = pd.DataFrame({"customer_id": [1, 2], "name": ["ann", "bo"]})
    orders = pa.table({"customer_id": [1, 2, 1], "amount": [5.0, 7.5, 1.0]})
    result = run_model(joined, deps={"customers": customers, "orders": orders})
    assert result.status == "success"
    assert result.columns == ["customer_id", "name", "amount"]
    assert result.rows == [{"customer_id": 1, "name": "ann", "amount": 1.0},
                           {"customer_id": 1, "name": "ann", "amount": 5.0},
                           {"customer_id": 2, "name": "bo", "amount": 7.5}]
    assert result.df["amount"].tolist() == [1.0, 5.0, 7.5]
    assert result.arrow.num_rows == 3
    again = run_model(joined, deps=[mock_dependency("customers", pl.from_pandas(customers)),
                                    mock_dependency("orders", orders.to_pylist())])
    assert again.rows == result.rows


def test_plain_function_and_sql_text() -> None:
    def doubled(numbers):
        return numbers.mutate(twice=numbers.n * 2)

    assert run_model(doubled, deps={"numbers": [{"n": 1}, {"n": 2}]}).rows == [
        {"n": 1, "twice": 2}, {"n": 2, "twice": 4}]
    sql = run_model("SELECT n, n * n AS square FROM numbers ORDER BY n", deps={"numbers": [{"n": 3}, {"n": 2}]})
    assert sql.rows == [{"n": 2, "square": 4}, {"n": 3, "square": 9}]
    assert sql.name == "model_under_test"


def test_a_project_model_by_name(make_project: Callable[[dict[str, str]], Path]) -> None:
    project = make_project(PROJECT)
    result = run_model("order_totals", deps={"stg_orders": [
        {"customer": "ann", "amount": 3}, {"customer": "bo", "amount": 4}, {"customer": "ann", "amount": 5}]},
        project=project)
    assert result.rows == [{"customer": "ann", "total": 8, "orders": 2}, {"customer": "bo", "total": 4, "orders": 1}]
    assert_checks_pass(result)
    assert not list(project.glob(".interlace/*.duckdb"))  # the project's own warehouse was never opened


def test_missing_input_says_which_and_how(make_project: Callable[[dict[str, str]], Path]) -> None:
    with pytest.raises(AssertionError) as caught:
        run_model("order_totals", project=make_project(PROJECT))
    assert str(caught.value) == (
        "run_model('order_totals'): it reads 'stg_orders', which deps= does not give "
        "(models/marts/order_totals.sql:1).\n"
        "Fix: pass deps={'stg_orders': [...]} (rows as records, a DataFrame or an Arrow table)")


def test_failing_checks_are_reported_by_assert_checks_pass() -> None:
    sql = '-- @model(quality_checks=[{"not_null": "customer"}, {"unique": {"column": "n", "severity": "warn"}}])\n' \
          "SELECT customer, 1 AS n FROM given"
    result = run_model(sql, deps={"given": [{"customer": None}, {"customer": "ann"}]})
    assert result.status == "failed"
    with pytest.raises(AssertionError) as caught:
        assert_checks_pass(result)
    assert str(caught.value).splitlines()[:2] == [
        "model 'model_under_test': 1 of 2 quality checks failed",
        "  not_null(customer) [error]: fail, 1 failing row",
    ]
    with pytest.raises(AssertionError, match="model 'model_under_test' has no rows to show"):
        result.rows  # noqa: B018
    warned = run_model("-- @model(quality_checks=[{'unique': {'column': 'n', 'severity': 'warn'}}])\n"
                       "SELECT 1 AS n FROM given", deps={"given": [{"x": 1}, {"x": 2}]})
    assert_checks_pass(warned)
    with pytest.raises(AssertionError, match=r"unique\(n\) \[warn\]: fail"):
        assert_checks_pass(warned, warnings=True)


def test_a_broken_model_raises_its_own_error() -> None:
    with pytest.raises(ExecutionError) as caught:
        run_model("SELECT nope FROM given", deps={"given": [{"x": 1}]})
    assert caught.value.model == "model_under_test"
    assert 'Referenced column "nope" not found' in str(caught.value)
