"""`lineage show` answers from the last analysis, without the engine, only while it is current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, write_files

PROBE = """
import json, sys
from interlace.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
sys.stdout = sys.__stdout__
print("ENGINE=" + json.dumps([m for m in ("duckdb", "sqlglot", "interlace.workspace")
                              if m in sys.modules]))
sys.exit(code)
"""


def show(project: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, "lineage", "show", *argv, "-d", str(project)],
                          capture_output=True, text=True, timeout=120, env={"COLUMNS": "200",
                                                                            **_env()})
    output, _, loaded = done.stdout.rpartition("ENGINE=")
    return subprocess.CompletedProcess(done.args, done.returncode, output, done.stderr), \
        json.loads(loaded)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "INTERLACE_ENV"}


def lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_a_second_show_reads_the_snapshot_and_prints_the_same(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    first, loaded = show(shop, "customers.customer_lifetime_value")
    assert "duckdb" in loaded  # the first analysis opens the warehouse
    second, loaded = show(shop, "customers.customer_lifetime_value")
    assert lines(second) == lines(first) == [
        "customers.customer_lifetime_value",
        "└── orders.amount",
        "    └── seeds/raw_payments.csv.amount",
    ]
    assert loaded == []
    as_json, loaded = show(shop, "orders.amount", "--downstream", "--format", "json")
    assert loaded == [] and {t["relation"] for t in json.loads(as_json.stdout)} == {"orders"}


def test_an_edit_makes_the_snapshot_stale(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    show(shop, "customers.customer_lifetime_value")
    customers = shop / "models/marts/customers.sql"
    write_files(shop, {"models/marts/customers.sql": customers.read_text().replace(
        "customer_lifetime_value", "lifetime_value")})
    edited, loaded = show(shop, "customers.lifetime_value")
    assert "duckdb" in loaded
    assert lines(edited)[0] == "customers.lifetime_value"
    gone, _ = show(shop, "customers.customer_lifetime_value")
    assert gone.returncode == 2 and "Did you mean 'lifetime_value'" in gone.stderr


def test_a_write_to_the_warehouse_makes_the_snapshot_stale(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    show(shop, "orders.amount")
    assert show(shop, "orders.amount")[1] == []
    assert run_cli("run", "--force", "-d", str(shop)).returncode == 0
    assert "duckdb" in show(shop, "orders.amount")[1]


def test_errors_come_from_the_full_analysis(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    show(shop, "orders.amount")
    unknown_column, _ = show(shop, "customers.customer_lifetime")
    assert unknown_column.returncode == 2
    assert "Did you mean 'customer_lifetime_value'" in unknown_column.stderr
    unknown_model, _ = show(shop, "customerz.x")
    assert unknown_model.returncode == 2 and "customers" in unknown_model.stderr


def test_a_foreign_or_broken_snapshot_is_a_miss(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    show(shop, "orders.amount")
    [snapshot] = (shop / ".interlace" / "cache").glob("lineage-*.json")
    snapshot.write_text("{not json")
    again, loaded = show(shop, "orders.amount")
    assert "duckdb" in loaded and lines(again)[0] == "orders.amount"
    assert json.loads(snapshot.read_text())["edges"]  # rewritten by that analysis
