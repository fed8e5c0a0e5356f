"""examples/shop on Spark (``type: pyspark``, ``local[2]``) equals its DuckDB build, row for row;
strategies on Spark equal DuckDB's; and ``interlace run --env spark`` in a subprocess.

One SparkSession serves the module: every project here points its Spark connection at the same
``warehouse`` and settings (interlace keeps one session per process for equal settings).
"""

from __future__ import annotations

import datetime as dt
import decimal
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import interlace
from interlace.backends import spark as spark_backend
from tests.conftest import SHOP, run_cli, write_files

pytestmark = pytest.mark.slow  # a JVM start and Spark jobs: about a minute on an idle machine

SHOP_MODELS = ("stg_customers", "stg_orders", "customers", "orders", "payments_by_method",
               "daily_revenue", "customer_segments")


def spark_overlay(warehouse: Path) -> str:
    return f"""
        connections:
          spark:
            type: pyspark
            master: "local[2]"
            app_name: interlace-tests
            warehouse: {warehouse}
            conf: {{spark.sql.shuffle.partitions: 2, spark.default.parallelism: 2}}
        engine: spark
    """


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("spark") / "warehouse"
    spark_backend.stop()


def normal(value: Any) -> Any:
    """Values compared across engines: numbers rounded (DuckDB's DOUBLE is Spark's DECIMAL for
    ``amount / 100.0``), dates and times as ISO text."""
    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def rows(table: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    arrow = table.to_pyarrow()
    data = [tuple(normal(v) for v in row.values()) for row in arrow.to_pylist()]
    return list(arrow.column_names), sorted(data, key=repr)


def tables(ws: interlace.Workspace, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: rows(ws.table(name)) for name in names}


def test_shop_on_spark_equals_the_duckdb_build(tmp_path: Path, warehouse: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    write_files(project, {"config.spark.yaml": spark_overlay(warehouse)})
    with interlace.open(project) as ws:
        ws.run().raise_for_status()
        expected = tables(ws, SHOP_MODELS)
    with interlace.open(project, env="spark") as ws:
        result = ws.run()
        result.raise_for_status()
        assert set(result.results) == {m for m in SHOP_MODELS}
        # quality checks ran on Spark (the config's defaults and the models' own)
        checks = result.results["customers"].checks
        assert sorted(c.check.name for c in checks) == [
            "not_null(customer_id)", "range(customer_lifetime_value)", "row_count(min=1)",
            "unique(customer_id)"]
        assert {c.status for c in checks} == {"pass"}
        assert all(c.status == "pass" for c in result.results["orders"].checks)
        assert ws.info()["engines"] == {"spark (pyspark)": 8}
        got = tables(ws, SHOP_MODELS)
        for name in SHOP_MODELS:
            assert got[name] == expected[name], name
        # the catalogue (DuckDB state) has the Spark tables' columns
        assert "customer_lifetime_value" in (ws.catalog()["customers"].columns or "")
        assert ws.plan().builds == ()  # built on Spark: nothing to do
    with interlace.open(project, env="spark") as ws:  # the catalog file outlives the workspace
        assert ws.plan().builds == ()
        assert rows(ws.table("customers")) == expected["customers"]


STRATEGY_FILES = {
    "config.yaml": "name: strategies\n",
    "seeds/events.csv": "id,amount,day\n1,10,2026-01-01\n2,20,2026-01-02\n",
    "models/events.sql": """
        -- @model(strategy="append", schema="extra")
        SELECT id, amount, CAST(day AS DATE) AS day FROM read_csv('seeds/events.csv', header = true)
    """,
    "models/latest.sql": """
        -- @model(strategy="merge_by_key", primary_key="id", schema="extra")
        SELECT id, max(amount) AS amount, count(*) AS seen FROM events GROUP BY id
    """,
    "models/gated.sql": """
        -- @model(schema="extra", quality_checks=[{"range": {"column": "amount", "max": 100}}])
        SELECT id, amount FROM events
    """,
    "models/stats.py": """
        from interlace import model

        @model(schema="extra")
        def stats(latest):
            return latest.aggregate(keys=latest.count(), total=latest.amount.sum())
    """,
}


def test_strategies_on_spark_equal_duckdb(tmp_path: Path, warehouse: Path) -> None:
    project = write_files(tmp_path / "strategies", STRATEGY_FILES)
    write_files(project, {"config.spark.yaml": spark_overlay(warehouse)})
    seed = project / "seeds" / "events.csv"
    built: dict[str, dict[str, Any]] = {}
    for env in ("dev", "spark"):
        seed.write_text(STRATEGY_FILES["seeds/events.csv"])
        with interlace.open(project, env=env) as ws:
            ws.run().raise_for_status()
            seed.write_text("id,amount,day\n2,25,2026-01-03\n3,30,2026-01-03\n")
            second = ws.run(force=True)
            second.raise_for_status()
            assert second.results["latest"].inserted == 1  # key 3 is new; key 2 is updated
            seed.write_text("id,amount,day\n4,400,2026-01-04\n")
            third = ws.run(force=True)  # gated's range check fails: its old table stays
            assert third.results["gated"].status == "failed"
            assert "range(amount)" in str(third.results["gated"].error)
            built[env] = tables(ws, ("events", "latest", "gated", "stats"))
    assert built["spark"] == built["dev"]
    assert built["spark"]["gated"][1] == [(1, 10), (2, 20), (2, 25), (3, 30)]
    assert len(built["spark"]["events"][1]) == 5  # appended three times


def test_cli_run_and_info_on_spark(tmp_path: Path) -> None:
    project = write_files(tmp_path / "cli", {
        "config.yaml": "name: cli\n",
        "config.spark.yaml": spark_overlay(tmp_path / "cli-warehouse"),
        "models/numbers.sql": "SELECT 1 AS n UNION ALL SELECT 2",
        "models/total.sql": "SELECT sum(n) AS total FROM numbers",
    })
    run = run_cli("run", "--env", "spark", "--project-dir", str(project), timeout=280)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 succeeded" in run.stdout
    assert (tmp_path / "cli-warehouse" / "_interlace_catalog.json").is_file()
    info = run_cli("info", "--env", "spark", "--project-dir", str(project))
    assert info.returncode == 0, info.stderr
    assert "engines:    spark (pyspark): 2 models" in info.stdout
