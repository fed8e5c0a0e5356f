"""Export: model export= after each build and `interlace export`, files read back equal the table."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from interlace.errors import ExecutionError, InvalidOptionError
from interlace.options import ExportOptions
from tests.conftest import run_cli

ORDERS = """
    -- @model(export={"format": "parquet", "path": "exports/orders.parquet"})
    SELECT range AS id, range % 3 AS region, range * 1.5 AS amount, 'o' || range AS label FROM range(20)
"""


def table_rows(ws, name: str) -> list[tuple]:
    return ws.sql(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def file_rows(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql + " ORDER BY ALL").fetchall()


def test_export_after_each_build_reads_back_equal(make_project, open_ws) -> None:
    project = make_project({"models/orders.sql": ORDERS})
    ws = open_ws(project)
    ws.run().raise_for_status()
    path = project / "exports" / "orders.parquet"
    assert file_rows(f"SELECT * FROM read_parquet('{path}')") == table_rows(ws, "orders")
    (project / "models" / "orders.sql").write_text(ORDERS.replace("range(20)", "range(7)"))
    ws.reload()
    ws.run().raise_for_status()
    assert len(file_rows(f"SELECT * FROM read_parquet('{path}')")) == 7


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_export_command_every_format(make_project, open_ws, fmt: str) -> None:
    project = make_project({"models/orders.sql": ORDERS})
    ws = open_ws(project)
    ws.run().raise_for_status()
    result = ws.export(ExportOptions(model="orders", format=fmt, path=f"out/orders.{fmt}"))
    assert result.rows == 20
    reader = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}[fmt]
    back = file_rows(f"SELECT id, region, amount, label FROM {reader}('{project / 'out' / f'orders.{fmt}'}')")
    assert back == table_rows(ws, "orders")


def test_partitioned_parquet_export(make_project, open_ws) -> None:
    project = make_project({"models/orders.sql": ORDERS})
    ws = open_ws(project)
    ws.run().raise_for_status()
    ws.export(ExportOptions(model="orders", path="parts", format="parquet", partition_by=("region",)))
    assert sorted(p.name for p in (project / "parts").iterdir()) == ["region=0", "region=1", "region=2"]
    back = file_rows(f"SELECT id, region, amount, label FROM read_parquet('{project / 'parts'}/**/*.parquet', "
                     "hive_partitioning = true)")
    assert back == table_rows(ws, "orders")


def test_export_errors(make_project, open_ws) -> None:
    project = make_project({"models/plain.sql": "SELECT 1 AS x", "models/orders.sql": ORDERS})
    ws = open_ws(project)
    with pytest.raises(InvalidOptionError) as err:
        ws.export(ExportOptions(model="plain"))
    assert str(err.value) == ("model 'plain': model 'plain' has no export= to take the path from\n"
                              "Fix: give --path, e.g. interlace export plain --path exports/plain.parquet")
    with pytest.raises(InvalidOptionError) as err:
        ws.export(ExportOptions(model="plain", path="out.xlsx"))
    assert str(err.value) == "cannot tell the export format of 'out.xlsx'\nFix: give --format parquet | csv | json"
    with pytest.raises(Exception) as err:
        ws.export(ExportOptions(model="plain", path="out.csv"))
    assert str(err.value) == ("model 'plain': model 'plain' has no table to export (main.plain does not exist)\n"
                              "Fix: run `interlace run plain` first")
    ws.run().raise_for_status()
    with pytest.raises(InvalidOptionError) as err:
        ws.export(ExportOptions(model="orders", path="o.json", partition_by=("region",)))
    assert str(err.value) == ("model 'orders': partition_by works with parquet and csv, not json\n"
                              "Fix: drop partition_by, or export parquet or csv")
    with pytest.raises(ExecutionError) as err:
        ws.export(ExportOptions(model="orders", path="p", format="parquet", partition_by=("nope",)))
    assert str(err.value).startswith("model 'orders': export to ")


def test_cli_export(make_project) -> None:
    project = make_project({"models/orders.sql": ORDERS})
    assert run_cli("run", "--project-dir", str(project)).returncode == 0
    out = run_cli("export", "orders", "--path", "x/orders.csv", "--project-dir", str(project))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"Exported 20 rows of 'orders' to {project / 'x' / 'orders.csv'} (csv)."
    out = run_cli("export", "orders", "--json", "--project-dir", str(project))
    assert json.loads(out.stdout) == {"model": "orders", "format": "parquet",
                                      "path": str(project / "exports" / "orders.parquet"), "rows": 20}
    assert Path(project / "x" / "orders.csv").read_text().splitlines()[0] == "id,region,amount,label"
