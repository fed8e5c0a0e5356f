"""The token scan (interlace.project.sql_scan) finds what the full sqlglot parse finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlace.errors import ModelParseError
from interlace.project import dependencies
from interlace.project.sql_check import analyse_model_sql
from interlace.project.sql_header import parse_sql_models
from interlace.project.sql_scan import scan_sql

# (SQL, the references the full parse finds): each is scanned, not left to the full parse.
TRICKY: list[tuple[str, set[str]]] = [
    ("WITH orders AS (SELECT * FROM raw.orders) SELECT * FROM orders", {"raw.orders"}),
    ("WITH Orders AS (SELECT 1 AS x) SELECT * FROM orders", set()),
    ("WITH orders AS (SELECT 1 AS x) SELECT * FROM staging.orders, orders", {"staging.orders"}),
    ("WITH a AS (SELECT * FROM src), b (x) AS MATERIALIZED (SELECT * FROM a) SELECT * FROM b, c",
     {"src", "c"}),
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
     "SELECT * FROM r, base", {"base"}),
    ("SELECT * FROM inner_c, (WITH inner_c AS (SELECT 1) SELECT * FROM inner_c) AS s", set()),
    ('SELECT * FROM "My Orders" JOIN "stg"."x" USING (id)', {"My Orders", "stg.x"}),
    ('SELECT * FROM "Mixed"', {"Mixed"}),
    ("SELECT 'FROM secret' AS s -- FROM hidden\n/* JOIN other */ FROM visible", {"visible"}),
    ("SELECT * FROM a WHERE x = 'it''s FROM b'", {"a"}),
    ("SELECT * FROM other_db.main.t", {"other_db.main.t"}),
    ("SELECT * FROM user, data, first", {"user", "data", "first"}),
    ("SELECT (SELECT max(x) FROM a) AS m FROM b WHERE id IN (SELECT id FROM c) "
     "AND EXISTS (SELECT 1 FROM d)", {"a", "b", "c", "d"}),
    ("SELECT extract(year FROM ts) AS y, trim(both 'x' FROM s) AS t2, substring(s FROM 2 FOR 3) AS u "
     "FROM t", {"t"}),
    ("FROM t SELECT x", {"t"}),
    ("FROM t", {"t"}),
    ("SELECT * FROM (a JOIN b ON a.id = b.id) LEFT JOIN c USING (id)", {"a", "b", "c"}),
    ("SELECT * FROM a AS x(p, q), b y, LATERAL (SELECT * FROM c WHERE c.id = y.id) z",
     {"a", "b", "c"}),
    ("SELECT * FROM a UNION ALL SELECT * FROM b EXCEPT (FROM c)", {"a", "b", "c"}),
    ("SELECT * FROM (VALUES (1), (2)) v(a) JOIN t USING (a)", {"t"}),
    ("SELECT x, row_number() OVER w AS n FROM t WINDOW w AS (PARTITION BY k ORDER BY x) "
     "QUALIFY n > 1 ORDER BY x, n LIMIT 3", {"t"}),
    ("SELECT * FROM t1 ASOF JOIN t2 USING (k, ts) ANTI JOIN t3 USING (k) SEMI JOIN t4 USING (k) "
     "CROSS JOIN t5", {"t1", "t2", "t3", "t4", "t5"}),
    ("SELECT * FROM t1 JOIN LATERAL unnest(t1.arr) AS u(x) ON true", {"t1"}),
    ("SELECT * FROM read_parquet('data/x.parquet') JOIN range(10) r ON true", set()),
    ("SELECT * FROM read_csv('in/a.csv', delim = ';') JOIN lookup USING (k)", {"lookup"}),
    ("SELECT * FROM 'data/file.csv'", set()),
    ("SELECT * FROM 'https://example.com/y.parquet'", set()),
    ("SELECT * FROM glob('*.csv')", set()),
    ("SELECT * FROM table_changes('orders', 1, 2)", {"orders"}),
    ("SELECT [1, 2] AS l, {'a': 1} AS s, list_transform(l, x -> x + 1) AS m FROM t", {"t"}),
    ("SELECT DISTINCT ON (k) k, x FROM t GROUP BY ALL HAVING count(*) > 1", {"t"}),
]

# Several statements (a side-effect model): DDL/DML targets are written, not read.
STATEMENTS: list[tuple[str, set[str]]] = [
    ("CREATE TABLE IF NOT EXISTS log(x INT); INSERT INTO log SELECT x FROM src; "
     "DELETE FROM log USING src2 WHERE log.x = src2.x; UPDATE log SET x = 1 FROM src3",
     {"src", "src2", "src3"}),
    ("CREATE OR REPLACE TABLE t AS SELECT * FROM s; DROP VIEW IF EXISTS v", {"s"}),
    ("WITH c AS (SELECT * FROM s) INSERT INTO t SELECT * FROM c", {"s"}),
    ("INSERT OR REPLACE INTO t BY NAME SELECT * FROM s", {"s"}),
]

# Constructs the scan does not model: it says so, and the full parse answers.
UNSURE = [
    "PIVOT t ON k USING sum(x)",
    "SELECT * FROM t PIVOT (sum(x) FOR k IN ('a', 'b'))",
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = s.x",
    "CREATE MACRO m(a) AS a + 1",
    "SELECT * FROM table_changes(name_of_it)",
]


def _full(sql: str) -> tuple[int, set[str], set[str] | None]:
    statements = dependencies.parse_sql(sql, model="m", path="m.sql", first_line=1)
    refs = dependencies._references(statements, model="m", path="m.sql", first_line=1, allow_many=True)
    files = dependencies._files(statements)
    return len(statements), set(refs), None if files is None else set(files)


def _scanned(sql: str) -> tuple[int, set[str], set[str] | None]:
    scan = scan_sql(sql)
    assert scan is not None, f"the scan left this to the full parse: {sql}"
    return scan.statements, set(scan.references), None if scan.files is None else set(scan.files)


@pytest.mark.parametrize(("sql", "refs"), TRICKY + STATEMENTS)
def test_the_scan_finds_what_the_full_parse_finds(sql: str, refs: set[str]) -> None:
    full = _full(sql)
    assert full[1] == refs  # the expectation is the full parse's own answer
    assert _scanned(sql) == full


def test_files_read_are_the_same() -> None:
    assert _scanned("SELECT * FROM read_parquet('data/x.parquet') JOIN range(10) r ON true")[2] \
        == {"data/x.parquet"}
    assert _scanned("SELECT * FROM 'https://example.com/y.parquet'")[2] is None
    assert _scanned("SELECT * FROM glob('*.csv')")[2] is None
    assert _scanned("SELECT * FROM t")[2] == set()


@pytest.mark.parametrize("sql", UNSURE)
def test_what_the_scan_does_not_model_goes_to_the_full_parse(sql: str) -> None:
    assert scan_sql(sql) is None
    found = analyse_model_sql(sql, model="m", path="m.sql", first_line=1, allow_many=True)
    assert set(found.references) == _full(sql)[1]


def test_the_normalized_text_is_normalize_sql() -> None:
    sql = "select  A.x -- c\nFROM \"T\" a where y = 'Q'"
    scan = scan_sql(sql)
    assert scan is not None and scan.normalized == dependencies.normalize_sql(sql)


def test_the_layered_bench_project_is_scanned(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    try:
        from layered import LayeredProject
    finally:
        sys.path.pop(0)
    project = LayeredProject(models=40, layers=4)
    project.write("interlace", tmp_path)
    for path in sorted((tmp_path / "models").glob("*.sql")):
        sql = path.read_text()
        assert _scanned(sql) == _full(sql), path.name


def test_a_syntax_error_is_duckdbs_and_names_the_file_line() -> None:
    with pytest.raises(ModelParseError) as exc:
        parse_sql_models('-- @model(name="m")\nSELECT a\nFROM t\nWHERE x = = 2\n', path="models/m.sql",
                         stem="m")
    assert str(exc.value.origin) == "models/m.sql:4"
    assert exc.value.message == 'SQL does not parse: syntax error at or near "="'
    assert "LINE 3: WHERE x = = 2" in str(exc.value.details)


def test_two_statements_counted_by_duckdb() -> None:
    with pytest.raises(ModelParseError, match="the model holds 2 SQL statements; a model is one query"):
        parse_sql_models("SELECT * FROM a; SELECT * FROM b", path="models/m.sql", stem="m")
