"""Connections and attached catalogs against real files and a real PostgreSQL server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from interlace.errors import ConfigError
from tests.conftest import ROOT, run_cli, write_files
from tests.postgres_server import postgres_server


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn


def test_readme_connection_example_runs_as_written(tmp_path: Path) -> None:
    block = re.search(r"## Configuration\n.*?```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None, "README.md lost its configuration example"
    project = write_files(tmp_path / "p", {
        "config.yaml": block.group(1),
        "models/old_orders.sql": """
            -- @model(connection="archive")
            SELECT id, total FROM legacy.main.orders
        """,
        "models/recent.sql": "SELECT count(*) AS n FROM old_orders",
    })
    (project / "data").mkdir()
    with duckdb.connect(str(project / "data" / "legacy.duckdb")) as legacy:
        legacy.execute("CREATE TABLE orders AS SELECT range AS id, range * 10 AS total FROM range(5)")
    for _ in range(2):  # the second run rebuilds over the first (old_orders reads an external table)
        result = run_cli("run", "--project-dir", str(project))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 succeeded, 0 failed" in result.stdout
    with duckdb.connect(str(project / ".interlace" / "archive.duckdb"), read_only=True) as archive:
        assert archive.execute("SELECT sum(total) FROM main.old_orders").fetchall() == [(100,)]
    with duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True) as warehouse:
        assert warehouse.execute("SELECT n FROM main.recent").fetchall() == [(5,)]


def test_incremental_model_in_another_catalog_keeps_its_watermark(make_project, open_ws) -> None:
    project = make_project({
        "config.yaml": "connections:\n  default: {}\n  archive: {path: .interlace/archive.duckdb}\n",
        "models/events.sql": """
            -- @model(connection="archive", strategy="append", cursor="id")
            SELECT * FROM raw_events
        """,
    })
    ws = open_ws(project)
    ws.sql("CREATE TABLE raw_events AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, v)")
    ws.run().raise_for_status()
    ws.sql("INSERT INTO raw_events VALUES (3, 'c')")
    ws.run().raise_for_status()
    assert ws.state.cursor_value("events") == ("id", "3")
    assert ws.sql("SELECT id FROM archive.main.events ORDER BY id").fetchall() == [(1,), (2,), (3,)]


def test_sqlite_file_attached_and_written(make_project, open_ws) -> None:
    project = make_project({
        "config.yaml": """
            connections:
              default:
                attach: [{name: shop, type: sqlite, path: shop.sqlite}]
              lite: {type: sqlite, path: out.sqlite}
        """,
        "models/big_orders.sql": """
            -- @model(connection="lite")
            SELECT id, amount FROM shop.orders WHERE amount > 5
        """,
    })
    import sqlite3

    with sqlite3.connect(project / "shop.sqlite") as db:
        db.execute("CREATE TABLE orders (id INTEGER, amount INTEGER)")
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(1, 3), (2, 7), (3, 9)])
    ws = open_ws(project)
    ws.run().raise_for_status()
    ws.close()
    with sqlite3.connect(project / "out.sqlite") as db:
        assert db.execute("SELECT id, amount FROM big_orders ORDER BY id").fetchall() == [(2, 7), (3, 9)]


@pytest.mark.parametrize("metadata", ["duckdb", "sqlite"])
def test_ducklake_connection(make_project, open_ws, metadata: str) -> None:
    project = make_project({
        "config.yaml": f"""
            connections:
              default: {{}}
              lake: {{type: ducklake, path: lake/catalog.{metadata}, metadata: {metadata}, data_path: lake/data}}
        """,
        "models/numbers.sql": """
            -- @model(connection="lake")
            SELECT range AS n FROM range(4)
        """,
        "models/total.sql": "SELECT sum(n) AS s FROM numbers",
    })
    ws = open_ws(project)
    ws.run().raise_for_status()
    assert ws.sql("SELECT s FROM total").fetchall() == [(6,)]
    assert (project / "lake" / f"catalog.{metadata}").is_file()
    assert ws.run().up_to_date == ("numbers", "total")


def test_postgres_connection_on_a_real_server(make_project, open_ws, pg_dsn: str) -> None:
    project = make_project({
        "config.yaml": f"""
            connections:
              default: {{}}
              pg: {{type: postgres, dsn: "{pg_dsn}"}}
              pg_ro: {{type: postgres, dsn: "{pg_dsn}", access: read}}
        """,
        "models/customers.sql": """
            -- @model(connection="pg", strategy="merge_by_key", primary_key="id")
            SELECT * FROM (VALUES (1, 'ada'), (2, 'bob')) t(id, name)
        """,
        "models/names.sql": "SELECT string_agg(name, ',' ORDER BY name) AS names FROM customers",
    })
    ws = open_ws(project)
    ws.run().raise_for_status()
    assert ws.sql("SELECT names FROM names").fetchall() == [("ada,bob",)]
    # the rows are in PostgreSQL itself, under its default schema
    out = subprocess.run(["/usr/lib/postgresql/15/bin/psql", pg_dsn, "-tAc", "SELECT count(*) FROM public.customers"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"
    # the read-only attachment sees them and refuses writes
    assert ws.sql("SELECT count(*) FROM pg_ro.public.customers").fetchall() == [(2,)]
    with pytest.raises(duckdb.Error):
        ws.sql("INSERT INTO pg_ro.public.customers VALUES (3, 'cy')").fetchall()


def test_model_writing_to_a_read_only_connection_is_refused(make_project, open_ws) -> None:
    project = make_project({
        "config.yaml": "connections:\n  default: {}\n  legacy: {path: legacy.duckdb, access: read}\n",
        "models/copy.sql": '-- @model(connection="legacy")\nSELECT 1 AS x\n',
    })
    duckdb.connect(str(project / "legacy.duckdb")).close()
    ws = open_ws(project)
    with pytest.raises(ConfigError) as err:
        ws.run()
    assert str(err.value) == (
        "connections.legacy.access: model 'copy' (models/copy.sql:1) writes to connection 'legacy', "
        "which is access: read\n"
        "Fix: set connections.legacy.access: write, or remove connection='legacy' from the model"
    )


def test_unknown_connection_is_named(make_project, open_ws) -> None:
    project = make_project({"models/copy.sql": '-- @model(connection="archiv")\nSELECT 1 AS x\n',
                            "config.yaml": "connections:\n  default: {}\n  archive: {path: a.duckdb}\n"})
    with pytest.raises(Exception) as err:
        open_ws(project).run()
    assert str(err.value) == (
        "model 'copy' (models/copy.sql:1): connection='archiv' is not one of the connections in config.yaml "
        "(archive, default). Did you mean 'archive'?\nFix: name a connection under 'connections:'"
    )


def test_missing_extension_package_names_the_extra(make_project) -> None:
    project = make_project({"config.yaml": "connections:\n  default: {}\n  lite: {type: sqlite, path: x.sqlite}\n"})
    code = ("import sys; sys.modules['duckdb_extension_sqlite_scanner'] = None\n"  # as if not installed
            "import interlace\n"
            "try:\n    interlace.open(sys.argv[1])\nexcept interlace.InterlaceError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
    assert out.stdout == (
        "connections: connection 'lite' (type sqlite) needs the DuckDB extension sqlite_scanner, from the "
        f"package duckdb-extension-sqlite-scanner=={duckdb.__version__}, which is not installed\n"
        "Fix: pip install 'interlace[sqlite]'\n"
    )


def test_extensions_never_download(open_ws, make_project) -> None:
    ws = open_ws(make_project({}))
    rows = ws.sql("SELECT current_setting('autoinstall_known_extensions'), "
                  "current_setting('autoload_known_extensions')").fetchall()
    assert rows == [(False, False)]


def test_server_connection_needs_a_dsn(make_project) -> None:
    from interlace.config import load_config

    project = make_project({"config.yaml": "connections:\n  default: {}\n  pg: {type: postgres}\n"})
    with pytest.raises(ConfigError) as err:
        load_config(project)
    assert str(err.value) == (
        f"{project / 'config.yaml'}: key 'connections.pg': type postgres needs dsn: "
        "(a connection string such as 'host=... dbname=...') (got {'type': 'postgres'})\n"
        "Fix: correct the key named above (see the configuration reference in README.md)"
    )


def test_shared_connection_is_the_same_in_every_env(make_project) -> None:
    from interlace.config import load_config

    project = make_project({
        "config.yaml": "connections:\n  default: {}\n  raw: {path: raw.duckdb, shared: true}\n",
        "config.prod.yaml": "connections:\n  raw: {path: raw_prod.duckdb}\n",
    })
    assert load_config(project, "dev").config.connections["raw"].path == "raw.duckdb"
    with pytest.raises(ConfigError) as err:
        load_config(project, "prod")
    assert str(err.value) == (
        f"{project / 'config.prod.yaml'}: connection 'raw' is shared: true (the same in every environment), "
        "but this overlay changes it\n"
        "Fix: remove connections.raw from config.prod.yaml, or set shared: false in config.yaml"
    )
    (project / "config.prod.yaml").unlink()
    (project / "config.yaml").write_text("connections:\n  default: {}\n  raw: {path: 'raw_{env}.duckdb', shared: true}\n")
    with pytest.raises(ConfigError) as err:
        load_config(project, "dev")
    assert str(err.value) == (
        f"{project / 'config.yaml'}: connections.raw.path uses {{env}}, but the connection is shared: true "
        "(the same in every environment)\n"
        "Fix: give connections.raw.path a fixed value, or set shared: false"
    )


def test_warehouse_must_be_duckdb(make_project) -> None:
    from interlace.config import load_config

    project = make_project({"config.yaml": "connections:\n  default: {type: sqlite, path: w.sqlite}\n"})
    with pytest.raises(ConfigError) as err:
        load_config(project)
    assert str(err.value) == (
        f"{project / 'config.yaml'}: the default connection 'default' is type sqlite; the warehouse (where "
        "models and state are kept) must be a DuckDB file or a DuckLake\n"
        "Fix: make 'default' type duckdb and attach the sqlite database as another connection "
        "(models write to it with connection=)"
    )
