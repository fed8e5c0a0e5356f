from __future__ import annotations

import pytest

from interlace.project.dependencies import sql_references


def refs(sql: str) -> tuple[str, ...]:
    return sql_references(sql, model="m", path="m.sql", first_line=1, allow_many=True)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM a", ("a",)),
        ("SELECT * FROM a JOIN b USING (id)", ("a", "b")),
        ("WITH c AS (SELECT * FROM a) SELECT * FROM c JOIN b ON true", ("a", "b")),
        ("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r", ()),
        ("SELECT * FROM read_csv('x.csv')", ()),
        ("SELECT * FROM 'data/file.parquet'", ()),
        ("SELECT * FROM staging.orders", ("staging.orders",)),
        ("SELECT * FROM other_db.main.t", ("other_db.main.t",)),
        ("SELECT * FROM a WHERE id IN (SELECT id FROM b)", ("a", "b")),
        ("SELECT (SELECT max(x) FROM b) AS m FROM a", ("b", "a")),
        ("SELECT * FROM a UNION ALL SELECT * FROM b", ("a", "b")),
        ("SELECT * FROM range(10)", ()),
        ("INSERT INTO target SELECT * FROM src", ("src",)),
        ("CREATE TABLE IF NOT EXISTS log AS SELECT * FROM src", ("src",)),
        ("SELECT * FROM a AS x JOIN a AS y ON x.id = y.parent", ("a",)),
    ],
)
def test_references(sql: str, expected: tuple[str, ...]) -> None:
    assert sorted(refs(sql)) == sorted(expected)
