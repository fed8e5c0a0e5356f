"""Engines by name without a JVM: the generic ``type: ibis`` backend (on ibis' DuckDB backend, a
separate database file), and the bad paths of ``type: pyspark`` that fail before Spark starts:
untranslatable SQL, unsupported strategies, unknown backends, misconfigured connections."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import interlace
from interlace.errors import ConfigError
from tests.conftest import write_files

SPARK = """
    connections:
      spark: {type: pyspark, master: "local[1]"}
    engine: spark
"""


def _failed(project: Path, model: str) -> str:
    with interlace.open(project) as ws:
        result = ws.run()
        outcome = result.results[model]
        assert outcome.status == "failed", outcome
        return str(outcome.error)


def test_untranslatable_sql_names_model_line_and_construct(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": SPARK,
        "models/trades.sql": """
            -- @model(materialize="table")
            SELECT t.t, p.price
            FROM (SELECT 1 AS t) AS t
            ASOF JOIN (SELECT 1 AS t, 10 AS price) AS p ON t.t >= p.t
        """,
    })
    message = _failed(project, "trades")
    assert "model 'trades'" in message
    assert "model 'trades' (models/trades.sql:4)" in message
    assert "ASOF JOIN has no translation from DuckDB SQL to spark" in message
    assert "(so that it runs on both engines), or make it a Python model" in message
    assert not (project / ".interlace" / "spark").exists() or not any(
        (project / ".interlace" / "spark").rglob("*.parquet"))


@pytest.mark.parametrize(("header", "expected"), [
    ('strategy="scd_type_2", primary_key="id"',
     "strategy 'scd_type_2' is not supported on engine 'spark' (pyspark)"),
    ('strategy="append", cursor="id"', "an incremental model (cursor=) is not supported on engine 'spark'"),
    ('strategy="merge_by_key", primary_key="id", delete_mode="soft"',
     "delete_mode='soft' is not supported on engine 'spark'"),
])
def test_unsupported_strategy_on_spark_is_refused(tmp_path: Path, header: str, expected: str) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": SPARK,
        "models/dim.sql": f"-- @model({header})\nSELECT 1 AS id, 'a' AS name",
    })
    message = _failed(project, "dim")
    assert expected in message
    assert "model 'dim'" in message


@pytest.mark.parametrize(("config", "expected"), [
    ("connections:\n  spark: {type: pyspark, path: x.db}\nengine: spark\n",
     "type pyspark takes app_name, conf, master, warehouse; path does not apply to it"),
    ("connections:\n  spark: {type: pyspark, master: 'lokal[2]'}\nengine: spark\n",
     "master 'lokal[2]' is not a Spark master URL"),
    ("connections:\n  other: {type: ibis}\nengine: other\n", "type ibis needs backend:"),
    ("connections:\n  spark: {type: sparkling}\n", "connections.spark.type"),
    ("engine: default\nconnections:\n  default: {type: duckdb}\n  db2: {type: duckdb, path: b.duckdb}\n"
     "engine: db2\n", "engine: db2 is not an engine (it is type duckdb)"),
    ("connections:\n  spark: {type: pyspark}\ndefault_connection: spark\n",
     "keep a duckdb default connection (it holds the run state)"),
])
def test_misconfigured_engine_connections(tmp_path: Path, config: str, expected: str) -> None:
    project = write_files(tmp_path / "p", {"config.yaml": config})
    with pytest.raises(ConfigError) as caught:
        interlace.open(project)
    assert expected in str(caught.value) + (caught.value.hint or "")


def test_unknown_ibis_backend(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        "config.yaml": "connections:\n  other: {type: ibis, backend: nosuch}\nengine: other\n",
        "models/a.sql": "SELECT 1 AS a",
    })
    with interlace.open(project) as ws, pytest.raises(ConfigError) as caught:
        ws.run()
    assert "connection 'other': ibis has no backend 'nosuch'" in str(caught.value)
    assert "duckdb" in (caught.value.hint or "") and "pyspark" in (caught.value.hint or "")


IBIS_FILES = {
    "config.yaml": """
        connections:
          other: {type: ibis, backend: duckdb, config: {database: other.duckdb}}
    """,
    "models/raw.sql": "SELECT * FROM (VALUES (1, 'a', 10.5), (2, 'b', 20.0)) AS v(id, name, amount)",
    "models/copied.sql": """
        -- @model(connection="other", quality_checks=[{"unique": "id"}])
        SELECT id, name, amount * 2 AS doubled FROM raw
    """,
    "models/log.sql": """
        -- @model(engine="other", strategy="append")
        SELECT id FROM raw
    """,
    "models/names.sql": """
        -- @model(connection="other", materialize="view")
        SELECT name FROM copied
    """,
    "models/summary.py": """
        from interlace import model

        @model(connection="other")
        def summary(copied):
            return copied.aggregate(n=copied.count(), total=copied.doubled.sum())
    """,
}


def test_generic_ibis_backend_builds_on_its_own_database(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", IBIS_FILES)
    with interlace.open(project) as ws:
        ws.run().raise_for_status()
        again = ws.run(force=True)
        again.raise_for_status()
        assert again.results["copied"].checks[0].status == "pass"
        assert ws.info()["engines"] == {"default (duckdb)": 1, "other (ibis/duckdb)": 4}
        assert sorted(ws.table("copied").to_pyarrow().to_pylist(), key=lambda r: r["id"]) == [
            {"id": 1, "name": "a", "doubled": 21.0}, {"id": 2, "name": "b", "doubled": 40.0}]
    # the tables are in the other database, not in the warehouse
    other = duckdb.connect(str(project / "other.duckdb"), read_only=True)
    try:
        assert sorted(other.sql("SELECT * FROM log").fetchall()) == [(1,), (1,), (2,), (2,)]
        assert other.sql("SELECT * FROM summary").fetchall() == [(2, 61.0)]
        assert sorted(other.sql("SELECT name FROM names").fetchall()) == [("a",), ("b",)]
        assert "raw" not in {r[0] for r in other.sql("SHOW TABLES").fetchall()}
    finally:
        other.close()


def test_duckdb_model_reading_an_engine_model_is_refused(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {**IBIS_FILES, "models/back.sql": "SELECT * FROM copied"})
    message = _failed(project, "back")
    assert "reads model 'copied', which is kept on engine 'other' (ibis)" in message
    assert "run 'back' on the same engine (connection='other')" in message


def test_merge_on_generic_ibis_is_refused(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {
        **IBIS_FILES,
        "models/upsert.sql": '-- @model(connection="other", strategy="merge_by_key", primary_key="id")\n'
                             "SELECT id FROM raw",
    })
    message = _failed(project, "upsert")
    assert "strategy 'merge_by_key' is not supported on engine 'other' (ibis/duckdb)" in message
    assert "use one of append, replace there" in message
