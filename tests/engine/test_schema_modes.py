from __future__ import annotations

import pytest

from interlace.engine.schema_modes import compare_columns, is_widening
from interlace.errors import SchemaChangeError


def rebuild(ws, root, sql: str):
    (root / "models/t.sql").write_text(sql)
    ws.reload()
    return ws.run()


@pytest.mark.parametrize(("old", "new", "widening"), [
    ("INTEGER", "BIGINT", True), ("BIGINT", "INTEGER", False), ("FLOAT", "DOUBLE", True),
    ("INTEGER", "DOUBLE", True), ("BIGINT", "DOUBLE", False), ("DECIMAL(10,2)", "DECIMAL(12,2)", True),
    ("DECIMAL(10,2)", "DECIMAL(10,3)", False), ("INTEGER", "DECIMAL(12,2)", True), ("DATE", "TIMESTAMP", True),
    ("INTEGER", "VARCHAR", False), ("UTINYINT", "UINTEGER", True),
])
def test_widening(old: str, new: str, widening: bool) -> None:
    assert is_widening(old, new) is widening


def test_compare_columns() -> None:
    changes = compare_columns([("a", "INTEGER"), ("b", "VARCHAR"), ("c", "BIGINT")],
                              [("a", "BIGINT"), ("C", "INTEGER"), ("d", "DATE"), ("b", "INTEGER")])
    assert {(c.column, c.kind) for c in changes} == {("a", "widened"), ("C", "narrowed"), ("d", "added"), ("b", "retyped")}


def header(mode: str, strategy: str = "append") -> str:
    return f'-- @model(strategy="{strategy}", schema_mode="{mode}")\n'


def test_safe_adds_keeps_and_widens_but_blocks_retyping(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": header("safe") + "SELECT 1::INTEGER AS a, 'x' AS b"})
    ws = open_ws(root)
    assert ws.run().ok
    result = rebuild(ws, root, header("safe") + "SELECT 2::BIGINT AS a, 5 AS c")  # widen a, drop b, add c
    assert result.ok, result.errors
    assert ws.columns("t") == [("a", "BIGINT"), ("b", "VARCHAR"), ("c", "INTEGER")]
    assert ws.sql("SELECT a, b, c FROM t ORDER BY a").fetchall() == [(1, "x", None), (2, None, 5)]
    blocked = rebuild(ws, root, header("safe") + "SELECT 'three' AS a")
    error = blocked["t"].error
    assert isinstance(error, SchemaChangeError)
    assert str(error) == (
        "model 't' (models/t.sql:1): the output does not fit the existing table main.t under "
        "schema_mode='safe'; nothing was written\n"
        "  a: BIGINT → VARCHAR (retyped): allowed by schema_mode='flexible' or 'lenient'\n"
        "Fix: change the model's output back, or set schema_mode='flexible' on the model"
    )
    assert ws.sql("SELECT count(*) FROM t").fetchone() == (2,)
    assert [v.version for v in ws.schema_history("t")] == [2, 1]


def test_strict_fails_on_any_change(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": header("strict", "replace") + "SELECT 1 AS a"})
    ws = open_ws(root)
    assert ws.run().ok
    result = rebuild(ws, root, header("strict", "replace") + "SELECT 1 AS a, 2 AS b")
    assert str(result["t"].error) == (
        "model 't' (models/t.sql:1): the output does not fit the existing table main.t under "
        "schema_mode='strict'; nothing was written\n"
        "  b: new column INTEGER: allowed by schema_mode='safe' or 'flexible' or 'lenient'\n"
        "Fix: change the model's output back, or set schema_mode='safe' on the model "
        "(strict is a contract: every change is an error)"
    )
    assert ws.columns("t") == [("a", "INTEGER")]


def test_replace_takes_the_new_shape_under_safe(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": "SELECT 1 AS a"})
    ws = open_ws(root)
    ws.run()
    assert rebuild(ws, root, "SELECT 'x' AS b").ok
    assert ws.columns("t") == [("b", "VARCHAR")]


def test_flexible_casts_existing_data_and_fails_when_a_value_does_not_convert(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": header("flexible") + "SELECT '1' AS a"})
    ws = open_ws(root)
    ws.run()
    assert rebuild(ws, root, header("flexible") + "SELECT 2 AS a").ok
    assert ws.columns("t") == [("a", "INTEGER")]
    assert ws.sql("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,)]
    root2_sql = header("flexible") + "SELECT 'x' AS a"
    assert rebuild(ws, root, root2_sql).ok  # INTEGER -> VARCHAR always converts
    failing = rebuild(ws, root, header("flexible") + "SELECT DATE '2026-01-01' AS a")
    error = failing["t"].error
    assert isinstance(error, SchemaChangeError)
    assert error.message.startswith("schema_mode='flexible' could not cast the existing values of column 'a' from VARCHAR to DATE")
    assert ws.columns("t") == [("a", "VARCHAR")]
    assert ws.sql("SELECT count(*) FROM t").fetchone() == (3,)


def test_lenient_turns_unconvertible_values_into_null(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": header("lenient") + "SELECT * FROM (VALUES ('1'), ('x')) v(a)"})
    ws = open_ws(root)
    ws.run()
    result = rebuild(ws, root, header("lenient") + "SELECT 3 AS a")
    assert result.ok
    assert result["t"].nulled == {"a": 1}  # 'x' did not convert: reported, not silent
    assert result["t"].to_dict()["nulled"] == {"a": 1}
    assert ws.columns("t") == [("a", "INTEGER")]
    assert sorted(ws.sql("SELECT a FROM t").fetchall(), key=str) == [(1,), (3,), (None,)]


def test_ignore_lets_duckdb_decide(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": header("ignore") + "SELECT 1 AS a"})
    ws = open_ws(root)
    ws.run()
    result = rebuild(ws, root, header("ignore") + "SELECT 1 AS a, 2 AS b")
    assert "Binder Error" in str(result["t"].error)


def test_merge_evolves_by_schema_mode(make_project, open_ws) -> None:
    head = '-- @model(strategy="merge_by_key", primary_key="id")\n'
    root = make_project({"models/t.sql": head + "SELECT 1 AS id, 'a' AS v"})
    ws = open_ws(root)
    ws.run()
    result = rebuild(ws, root, head + "SELECT * FROM (VALUES (1, 'b', 10), (2, 'c', 20)) x(id, v, n)")
    assert result.ok, result.errors
    assert (result["t"].inserted, result["t"].updated) == (1, 1)
    assert sorted(ws.sql("SELECT * FROM t").fetchall()) == [(1, "b", 10), (2, "c", 20)]
