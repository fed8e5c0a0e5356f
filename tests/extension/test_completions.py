"""Completions in a %%interlace_model cell (interlace.completions): which names are offered where,
from plain vocabularies and from a real workspace's warehouse."""

from __future__ import annotations

from interlace.completions import Completion, CompletionItem, Vocabulary, complete, vocabulary

WORDS = Vocabulary(
    models={"orders": [("order_id", "BIGINT"), ("amount", "DOUBLE")], "order_totals": [],
            "customers": [("customer_id", "BIGINT"), ("name", "VARCHAR")]},
    tables={"raw.events": [("event_id", "BIGINT"), ("kind", "VARCHAR")]},
)


def labels(text: str, cursor: int | None = None, words: Vocabulary = WORDS) -> list[tuple[str, str]]:
    reply = complete(text, len(text) if cursor is None else cursor, words)
    return [(i.label, i.type) for i in reply.items]


def test_a_prefix_in_the_body_offers_models_and_tables_by_name() -> None:
    text = "%%interlace_model probe\nSELECT * FROM ord"
    reply = complete(text, len(text), WORDS)
    assert reply == Completion(len(text) - 3, len(text), (
        CompletionItem("order_totals", "model", "model"), CompletionItem("orders", "model", "model")))
    assert labels("%%interlace_model probe\nSELECT * FROM ra") == [("raw.events", "table")]


def test_the_columns_of_what_the_cell_reads_are_offered_beside_the_names() -> None:
    text = "%%interlace_model probe\nSELECT a FROM orders JOIN customers c USING (x)"
    assert labels(text, text.index("a FROM") + 1) == [("amount", "column")]
    reply = complete(text, text.index(" FROM"), WORDS)
    assert reply.start == text.index("a FROM") and reply.items[0].detail == "orders.amount DOUBLE"
    everything = labels("%%interlace_model p\nSELECT  FROM customers", len("%%interlace_model p\nSELECT "))
    assert everything == [("customers", "model"), ("order_totals", "model"), ("orders", "model"),
                          ("raw.events", "table"), ("customer_id", "column"), ("name", "column")]


def test_after_a_dot_only_the_relation_or_aliases_columns() -> None:
    assert labels("%%interlace_model p\nSELECT o. FROM orders AS o", len("%%interlace_model p\nSELECT o.")) == [
        ("order_id", "column"), ("amount", "column")]
    assert labels("%%interlace_model p\nSELECT * FROM customers c WHERE c.n") == [("name", "column")]
    assert labels("%%interlace_model p\nSELECT orders.am") == [("amount", "column")]
    text = "%%interlace_model p\nSELECT e.k FROM raw.events e"
    assert labels(text, text.index(" FROM")) == [("kind", "column")]
    assert labels("%%interlace_model p\nSELECT * FROM orders WHERE x.") == []  # unknown alias: nothing


def test_keywords_after_a_relation_are_not_aliases() -> None:
    text = "%%interlace_model p\nSELECT * FROM orders WHERE where."
    assert labels(text) == []
    assert labels("%%interlace_model p\nSELECT * FROM orders o JOIN customers ON o.") == [
        ("order_id", "column"), ("amount", "column")]


def test_the_magic_line_offers_nothing() -> None:
    assert labels("%%interlace_model ord") == []
    assert complete("%%interlace_model ord", 21, WORDS) == Completion(18, 21)


def test_a_cursor_out_of_range_is_clamped() -> None:
    assert complete("%%interlace_model p\nSELECT or", 999, WORDS).end == len("%%interlace_model p\nSELECT or")


def test_vocabulary_of_a_workspace_has_models_with_built_columns_and_other_tables(make_project, open_ws) -> None:
    root = make_project({"config.yaml": "name: t\n", "models/orders.sql": "SELECT 1 AS order_id, 2.5 AS amount",
                         "models/later.sql": "SELECT order_id FROM orders"})
    ws = open_ws(root)
    ws.run("orders")
    ws.sql("CREATE SCHEMA raw")
    ws.sql("CREATE TABLE raw.events (event_id BIGINT, kind VARCHAR)")
    ws.sql("CREATE TABLE scratch (x INTEGER)")
    words = vocabulary(ws)
    assert dict(words.models) == {"orders": [("order_id", "INTEGER"), ("amount", "DECIMAL(2,1)")], "later": []}
    assert dict(words.tables) == {"raw.events": [("event_id", "BIGINT"), ("kind", "VARCHAR")],
                                  "scratch": [("x", "INTEGER")]}
