"""Column lineage of SQL shapes, asserted as data: (output column or None, source, column, kind)."""

from __future__ import annotations

import pytest

from interlace.lineage.sql import sql_lineage

SCHEMA = {
    "orders": {"order_id": "INT", "customer_id": "INT", "amount": "DOUBLE", "status": "VARCHAR", "ordered_at": "DATE"},
    "customers": {"customer_id": "INT", "name": "VARCHAR", "region": "VARCHAR"},
    "payments": {"payment_id": "INT", "order_id": "INT", "amount": "DOUBLE", "method": "VARCHAR"},
    "staging.events": {"id": "INT", "kind": "VARCHAR"},
}
V, F, J, G = "value", "filter", "join", "group"

CASES: list[tuple[str, str, set[tuple[str | None, str, str, str]]]] = [
    ("plain columns", "SELECT order_id, amount FROM orders",
     {("order_id", "orders", "order_id", V), ("amount", "orders", "amount", V)}),
    ("alias", "SELECT amount AS total FROM orders", {("total", "orders", "amount", V)}),
    ("table alias", "SELECT o.amount AS total FROM orders AS o", {("total", "orders", "amount", V)}),
    ("star expands against the schema", "SELECT * FROM customers",
     {("customer_id", "customers", "customer_id", V), ("name", "customers", "name", V), ("region", "customers", "region", V)}),
    ("qualified star", "SELECT c.* FROM customers c JOIN orders o USING (customer_id)",
     {("customer_id", "customers", "customer_id", V), ("name", "customers", "name", V), ("region", "customers", "region", V),
      (None, "customers", "customer_id", J), (None, "orders", "customer_id", J)}),
    ("expression of two columns", "SELECT amount * 2 + order_id AS x FROM orders",
     {("x", "orders", "amount", V), ("x", "orders", "order_id", V)}),
    ("where is a filter", "SELECT order_id FROM orders WHERE status = 'paid'",
     {("order_id", "orders", "order_id", V), (None, "orders", "status", F)}),
    ("join on", "SELECT c.name, o.amount FROM orders o JOIN customers c ON o.customer_id = c.customer_id",
     {("name", "customers", "name", V), ("amount", "orders", "amount", V),
      (None, "orders", "customer_id", J), (None, "customers", "customer_id", J)}),
    ("left join using", "SELECT name, amount FROM customers LEFT JOIN orders USING (customer_id)",
     {("name", "customers", "name", V), ("amount", "orders", "amount", V),
      (None, "customers", "customer_id", J), (None, "orders", "customer_id", J)}),
    ("aggregate with group by", "SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id",
     {("customer_id", "orders", "customer_id", V), ("total", "orders", "amount", V), (None, "orders", "customer_id", G)}),
    ("having", "SELECT customer_id FROM orders GROUP BY customer_id HAVING sum(amount) > 10",
     {("customer_id", "orders", "customer_id", V), (None, "orders", "customer_id", G), (None, "orders", "amount", F)}),
    ("count star has no column source", "SELECT count(*) AS n FROM orders", set()),
    ("cte", "WITH big AS (SELECT order_id, amount FROM orders WHERE amount > 100) SELECT order_id AS id FROM big",
     {("id", "orders", "order_id", V), (None, "orders", "amount", F)}),
    ("two ctes chained", "WITH a AS (SELECT customer_id, amount FROM orders), b AS (SELECT customer_id, sum(amount) AS s FROM a GROUP BY 1) SELECT s FROM b",
     {("s", "orders", "amount", V), (None, "orders", "customer_id", G)}),
    ("derived table", "SELECT t.v FROM (SELECT amount AS v FROM payments) AS t", {("v", "payments", "amount", V)}),
    ("union all", "SELECT order_id AS id FROM orders UNION ALL SELECT payment_id FROM payments",
     {("id", "orders", "order_id", V), ("id", "payments", "payment_id", V)}),
    ("union in a cte", "WITH u AS (SELECT amount FROM orders UNION SELECT amount FROM payments) SELECT max(amount) AS m FROM u",
     {("m", "orders", "amount", V), ("m", "payments", "amount", V)}),
    ("window function", "SELECT order_id, row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at) AS rn FROM orders",
     {("order_id", "orders", "order_id", V), ("rn", "orders", "customer_id", V), ("rn", "orders", "ordered_at", V)}),
    ("qualify", "SELECT order_id FROM orders QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC) = 1",
     {("order_id", "orders", "order_id", V), (None, "orders", "customer_id", F), (None, "orders", "amount", F)}),
    ("case", "SELECT CASE WHEN status = 'paid' THEN amount ELSE 0 END AS paid FROM orders",
     {("paid", "orders", "status", V), ("paid", "orders", "amount", V)}),
    ("scalar subquery", "SELECT order_id, (SELECT max(amount) FROM payments) AS top FROM orders",
     {("order_id", "orders", "order_id", V), ("top", "payments", "amount", V)}),
    ("in subquery filter", "SELECT name FROM customers WHERE customer_id IN (SELECT customer_id FROM orders)",
     {("name", "customers", "name", V), (None, "customers", "customer_id", F), (None, "orders", "customer_id", F)}),
    ("correlated exists", "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)",
     {("name", "customers", "name", V), (None, "orders", "customer_id", F), (None, "customers", "customer_id", F)}),
    ("schema-qualified table", "SELECT kind FROM staging.events", {("kind", "staging.events", "kind", V)}),
    ("file source", "SELECT id AS payment_id, amount / 100 AS amount FROM read_csv('seeds/p.csv')",
     {("payment_id", "seeds/p.csv", "id", V), ("amount", "seeds/p.csv", "amount", V)}),
    ("cast and functions", "SELECT upper(CAST(order_id AS VARCHAR)) || status AS label FROM orders",
     {("label", "orders", "order_id", V), ("label", "orders", "status", V)}),
    ("distinct", "SELECT DISTINCT region FROM customers", {("region", "customers", "region", V)}),
    ("self join", "SELECT a.order_id, b.order_id AS other FROM orders a JOIN orders b ON a.customer_id = b.customer_id",
     {("order_id", "orders", "order_id", V), ("other", "orders", "order_id", V), (None, "orders", "customer_id", J)}),
    ("unknown table keeps its star", "SELECT * FROM raw_feed", {("*", "raw_feed", "*", V)}),
]


@pytest.mark.parametrize(("sql", "expected"), [(sql, exp) for _, sql, exp in CASES], ids=[c[0] for c in CASES])
def test_lineage(sql: str, expected: set[tuple[str | None, str, str, str]]) -> None:
    edges = {(e.column, e.source, e.source_column, e.kind) for e in sql_lineage(sql, SCHEMA)}
    assert edges == expected


def test_at_least_25_shapes() -> None:
    assert len(CASES) >= 25


def test_an_input_without_known_columns_does_not_break_lineage() -> None:
    # an upstream not built yet has no columns in the catalog; sqlglot refuses an empty schema entry
    assert [(e.column, e.source) for e in sql_lineage("SELECT n FROM base", {"base": {}})] == [("n", "base")]
