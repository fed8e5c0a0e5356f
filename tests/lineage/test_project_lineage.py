from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, write_files


def test_shop_lifetime_value_traces_back_to_payment_amounts(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    shown = run_cli("lineage", "show", "customers.customer_lifetime_value", "--format", "json", "-d", str(shop))
    assert shown.returncode == 0, shown.stderr
    [tree] = json.loads(shown.stdout)
    path = []
    node = tree
    while node:
        path.append(f"{node['relation']}.{node['column']}")
        node = node["children"][0] if node["children"] else None
    assert path == ["customers.customer_lifetime_value", "orders.amount", "seeds/raw_payments.csv.amount"]
    text = run_cli("lineage", "show", "customers.customer_lifetime_value", "-d", str(shop)).stdout
    assert text.splitlines() == [
        "customers.customer_lifetime_value",
        "└── orders.amount",
        "    └── seeds/raw_payments.csv.amount",
    ]
    down = run_cli("lineage", "show", "orders.amount", "--downstream", "--format", "dot", "-d", str(shop)).stdout
    assert '"orders.amount" -> "customers.customer_lifetime_value";' in down
    assert '"orders.amount" -> "daily_revenue.revenue";' in down
    unknown = run_cli("lineage", "show", "customers.customer_lifetime", "-d", str(shop))
    assert unknown.returncode == 2 and "Did you mean 'customer_lifetime_value'" in unknown.stderr


def test_plan_diff_reports_a_breaking_removal_before_writing(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    orders = shop / "models/staging/stg_orders.sql"
    write_files(shop, {"models/staging/stg_orders.sql": orders.read_text().replace("    CAST(order_date AS DATE) AS order_date,\n", "")})
    planned = run_cli("plan", "--diff", "-d", str(shop))
    assert planned.returncode == 0, planned.stderr
    assert "  stg_orders:\n    order_date: no longer produced (was DATE)" in planned.stdout
    assert "BREAKING stg_orders.order_date (removed) is read by orders" in planned.stdout
    data = json.loads(run_cli("plan", "--diff", "--json", "-d", str(shop)).stdout)
    [preview] = [p for p in data["schema_changes"] if p["model"] == "stg_orders"]
    assert preview["breaking"] == [{"column": "order_date", "kind": "removed", "read_by": ["orders"]}]
    import duckdb

    con = duckdb.connect(str(shop / ".interlace/dev.duckdb"), read_only=True)
    assert "order_date" in {r[0] for r in con.execute("DESCRIBE stg_orders").fetchall()}  # nothing written
    con.close()


def test_schema_diff_between_versions_and_environments(make_project) -> None:
    root = make_project({"models/m.sql": "SELECT 1 AS a"})
    assert run_cli("run", "-d", str(root)).returncode == 0
    write_files(root, {"models/m.sql": "SELECT 'x' AS a, 2 AS b"})
    assert run_cli("run", "-d", str(root)).returncode == 0
    diff = run_cli("schema", "diff", "m", "--from", "1", "--to", "2", "-d", str(root))
    assert diff.stdout.splitlines() == ["m: version 1 -> 2", "  b: new column INTEGER", "  a: INTEGER → VARCHAR (retyped)"]
    assert run_cli("run", "-e", "prod", "-d", str(root)).returncode == 0
    write_files(root, {"models/m.sql": "SELECT 1 AS a"})
    assert run_cli("run", "-d", str(root)).returncode == 0
    envs = run_cli("schema", "diff", "m", "--env1", "dev", "--env2", "prod", "-d", str(root))
    assert envs.stdout.splitlines() == ["m: env dev -> env prod", "  b: new column INTEGER", "  a: INTEGER → VARCHAR (retyped)"]
    missing = run_cli("schema", "diff", "m", "--from", "7", "-d", str(root))
    assert missing.returncode == 2 and "'m' has no schema version 7 (versions: 1..3)" in missing.stderr
