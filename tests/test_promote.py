"""Promote: tables copied engine-side between two environments' warehouse files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from interlace.errors import InvalidOptionError, StateError
from interlace.options import PromoteOptions
from tests.conftest import run_cli

FILES = {
    "models/orders.sql": "SELECT range AS id, range * 2 AS total FROM range(10)",
    "models/by_parity.sql": "SELECT id % 2 AS parity, sum(total) AS total FROM orders GROUP BY ALL",
    "models/latest.sql": '-- @model(materialize="view")\nSELECT max(id) AS id FROM orders',
}


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def project(make_project) -> Path:
    return make_project(FILES)


def test_promote_copies_tables_and_their_state(project: Path, open_ws) -> None:
    dev = open_ws(project, "dev")
    dev.run().raise_for_status()
    result = dev.promote(PromoteOptions(source="dev", target="prod"))
    assert [(s.model, s.action, s.rows) for s in result.steps] == [("by_parity", "copied", 2), ("orders", "copied", 10)]
    dev.close()
    prod_file = project / ".interlace" / "prod.duckdb"
    assert rows(prod_file, "SELECT * FROM orders ORDER BY id") == rows(
        project / ".interlace" / "dev.duckdb", "SELECT * FROM orders ORDER BY id")
    prod = open_ws(project, "prod")
    assert [v.version for v in prod.schema_history("orders")] == [1]  # schema history carried
    plan = {s.model: (s.action, s.reason) for s in prod.plan().steps}
    assert plan["orders"] == ("skip", "up to date")  # the same definition: nothing to rebuild
    assert plan["latest"][0] == "build"  # views are not copied: prod builds them


def test_promote_refuses_a_newer_target_without_force(project: Path, open_ws) -> None:
    dev = open_ws(project, "dev")
    dev.run().raise_for_status()
    dev.close()
    prod = open_ws(project, "prod")
    prod.run().raise_for_status()  # prod's build is newer than dev's
    prod.close()
    dev = open_ws(project, "dev")
    dry = dev.promote(PromoteOptions(source="dev", target="prod", dry_run=True))
    assert [(s.model, s.action) for s in dry.steps] == [("by_parity", "refused"), ("orders", "refused")]
    with pytest.raises(StateError) as err:
        dev.promote(PromoteOptions(source="dev", target="prod", select=("orders",)))
    message = str(err.value)
    assert message.splitlines()[0] == "1 table in 'prod' is newer than in 'dev'; nothing was copied"
    assert message.splitlines()[1].startswith("  orders: 'prod' built it at ")
    assert message.splitlines()[-1] == ("Fix: rebuild them in the source first, leave them out of the selection, "
                                        "or pass --force to overwrite")
    forced = dev.promote(PromoteOptions(source="dev", target="prod", select=("orders",), force=True))
    assert [(s.model, s.action) for s in forced.steps] == [("orders", "copied")]


def test_promote_option_errors(project: Path, open_ws) -> None:
    ws = open_ws(project)
    with pytest.raises(InvalidOptionError) as err:
        ws.promote(PromoteOptions(source="dev", target="dev"))
    assert str(err.value) == "--from and --to are both 'dev'\nFix: name two environments"
    with pytest.raises(StateError) as err:
        ws.promote(PromoteOptions(source="staging", target="prod"))
    assert str(err.value) == (
        f"environment 'staging' has no warehouse yet ({(project / '.interlace' / 'staging.duckdb').resolve()})\n"
        "Fix: run `interlace run --env staging` first")


def test_cli_promote_dry_run_then_copy(project: Path) -> None:
    d = ["--project-dir", str(project)]
    assert run_cli("run", *d).returncode == 0
    out = run_cli("promote", "--from", "dev", "--to", "prod", "orders", "--dry-run", *d)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Dry run: promote dev -> prod"
    assert out.stdout.splitlines()[1].startswith("  would copy  orders  (built in 'dev' at ")
    assert not (project / ".interlace" / "prod.duckdb").exists() or rows(
        project / ".interlace" / "prod.duckdb", "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'orders'"
    ) == [(0,)]
    out = run_cli("promote", "--from", "dev", "--to", "prod", "--json", *d)
    assert [(s["model"], s["action"], s["rows"]) for s in json.loads(out.stdout)["steps"]] == [
        ("by_parity", "copied", 2), ("orders", "copied", 10)]
