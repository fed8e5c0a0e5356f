"""Migrations with rollback: real DuckDB files, the real CLI, exact error messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from interlace.errors import MigrationError
from interlace.options import MigrateOptions
from tests.conftest import run_cli

MIGRATIONS = {
    "config.yaml": "name: crm\n",
    "migrations/001_create_customers.up.sql": """
        CREATE SCHEMA crm;
        CREATE TABLE crm.customers (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);
    """,
    "migrations/001_create_customers.down.sql": "DROP TABLE crm.customers;\nDROP SCHEMA crm;\n",
    "migrations/002_add_email.up.sql": """
        ALTER TABLE crm.customers ADD COLUMN email VARCHAR DEFAULT 'none';
        CREATE SEQUENCE crm.ids START 100;
    """,
    "migrations/002_add_email.down.sql": "DROP SEQUENCE crm.ids;\nALTER TABLE crm.customers DROP COLUMN email;\n",
    "migrations/003_orders_view.up.sql": "CREATE VIEW crm.names AS SELECT name FROM crm.customers;\n",
    "migrations/003_orders_view.down.sql": "DROP VIEW crm.names;\n",
}


def schema(ws: Any) -> list[tuple[Any, ...]]:
    """Every user object of the warehouse with its definition (the interlace schema left out)."""
    db = ws.engine.database
    return ws.sql(
        "SELECT 'schema', schema_name, NULL FROM duckdb_schemas() WHERE database_name = $db AND NOT internal "
        "UNION ALL SELECT 'table', schema_name || '.' || table_name, sql FROM duckdb_tables() "
        "WHERE database_name = $db AND schema_name <> 'interlace' "
        "UNION ALL SELECT 'view', schema_name || '.' || view_name, sql FROM duckdb_views() "
        "WHERE database_name = $db AND NOT internal "
        "UNION ALL SELECT 'column', schema_name || '.' || table_name || '.' || column_name, "
        "data_type || ' ' || coalesce(column_default, '') || ' ' || is_nullable::VARCHAR FROM duckdb_columns() "
        "WHERE database_name = $db AND schema_name <> 'interlace' "
        "UNION ALL SELECT 'sequence', schema_name || '.' || sequence_name, start_value::VARCHAR "
        "FROM duckdb_sequences() WHERE database_name = $db ORDER BY ALL", {"db": db}).fetchall()


@pytest.fixture
def project(make_project) -> Path:
    return make_project(MIGRATIONS)


def test_up_down_and_to_round_trips_leave_the_schema_exactly_as_before(project: Path, open_ws) -> None:
    ws = open_ws(project)
    empty = schema(ws)
    steps = ws.migrate()
    assert [(s.version, s.direction) for s in steps] == [(1, "up"), (2, "up"), (3, "up")]
    full = schema(ws)
    assert {kind for kind, _, _ in full} == {"schema", "table", "view", "column", "sequence"}
    ws.migrate(MigrateOptions(rollback=True))
    after_one_down = schema(ws)
    ws.migrate(MigrateOptions(to=1))
    at_one = schema(ws)
    ws.migrate(MigrateOptions(to=3))
    assert schema(ws) == full
    ws.migrate(MigrateOptions(to=2))
    assert schema(ws) == after_one_down
    ws.migrate(MigrateOptions(to=1))
    assert schema(ws) == at_one
    ws.migrate(MigrateOptions(to=0))
    assert schema(ws) == empty
    assert [s.applied_at for s in ws.migrations()] == [None, None, None]


def test_dry_run_and_list_change_nothing(project: Path, open_ws) -> None:
    ws = open_ws(project)
    before = schema(ws)
    steps = ws.migrate(MigrateOptions(dry_run=True))
    assert [str(s) for s in steps] == [
        "up   001_create_customers  (migrations/001_create_customers.up.sql)",
        "up   002_add_email  (migrations/002_add_email.up.sql)",
        "up   003_orders_view  (migrations/003_orders_view.up.sql)",
    ]
    assert schema(ws) == before
    assert [(s.version, s.applied_at is None, s.reversible) for s in ws.migrations()] == [
        (1, True, True), (2, True, True), (3, True, True)]


def test_a_failing_migration_rolls_back_and_stops(make_project, open_ws) -> None:
    ws = open_ws(make_project({
        "migrations/001_ok.sql": "CREATE TABLE a (x INTEGER);\n",
        "migrations/002_bad.sql": "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n",
    }))
    with pytest.raises(MigrationError) as err:
        ws.migrate()
    assert str(err.value).startswith(
        "migrations/002_bad.sql: migration 002_bad (up) failed: Catalog Error: Table with name nowhere does not exist!")
    assert str(err.value).endswith("Fix: fix the SQL in that file; nothing of this migration was applied")
    assert [s.applied_at is not None for s in ws.migrations()] == [True, False]
    assert ws.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'b'").fetchall() == [(0,)]


def test_rollback_without_a_down_file(make_project, open_ws) -> None:
    ws = open_ws(make_project({"migrations/001_seed.sql": "CREATE TABLE seed (x INTEGER);\n"}))
    ws.migrate()
    with pytest.raises(MigrationError) as err:
        ws.migrate(MigrateOptions(rollback=True))
    assert str(err.value) == (
        "migrations/001_seed.sql: migration 001_seed has no down file, so it cannot be rolled back\n"
        "Fix: write migrations/001_seed.down.sql (and name the up file 001_seed.up.sql)"
    )


def test_an_applied_file_that_changed_is_refused(project: Path, open_ws) -> None:
    ws = open_ws(project)
    ws.migrate(MigrateOptions(to=1))
    path = project / "migrations" / "001_create_customers.up.sql"
    applied = ws.migrations()[0]
    assert applied.applied_at is not None
    import hashlib

    old = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    path.write_text(path.read_text() + "-- edited\n")
    new = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with pytest.raises(MigrationError) as err:
        ws.migrate()
    assert str(err.value) == (
        f"migrations/001_create_customers.up.sql: migration 001_create_customers changed after it was applied "
        f"(checksum {old} when applied, {new} now)\n"
        "Fix: restore the file as it was applied and write a new migration for the change"
    )


@pytest.mark.parametrize(("files", "message"), [
    ({"migrations/001_a.sql": "SELECT 1;", "migrations/003_c.sql": "SELECT 1;"},
     "migrations/: migration numbering has a gap: 2 is missing (after 001_a.sql)\n"
     "Fix: number migrations 1, 2, 3… without gaps (rename the files after the gap)"),
    ({"migrations/001_a.sql": "SELECT 1;", "migrations/notes.txt": "x"},
     "migrations/notes.txt: is not a migration file name\n"
     "Fix: name migrations NNN_name.up.sql and NNN_name.down.sql (or NNN_name.sql for up-only), "
     "such as 001_create_orders.up.sql"),
    ({"migrations/001_a.sql": "SELECT 1;", "migrations/001_b.sql": "SELECT 1;"},
     "migrations/001_b.sql: migration 1 is defined twice (001_a.sql and 001_b.sql)\n"
     "Fix: give each migration its own number"),
    ({"migrations/001_a.down.sql": "SELECT 1;"},
     "migrations/001_a.down.sql: down migration 1 has no up file\n"
     "Fix: add migrations/001_a.up.sql, or remove the down file"),
])
def test_bad_migration_files(make_project, open_ws, files: dict[str, str], message: str) -> None:
    with pytest.raises(MigrationError) as err:
        open_ws(make_project(files)).migrations()
    assert str(err.value) == message


def test_to_an_unknown_version_and_nothing_to_roll_back(project: Path, open_ws) -> None:
    ws = open_ws(project)
    with pytest.raises(MigrationError) as err:
        ws.migrate(MigrateOptions(to=7))
    assert str(err.value) == ("there is no migration 7 (versions: 1..3)\n"
                              "Fix: give --to a version of migrations/, or 0 to roll back everything")
    with pytest.raises(MigrationError) as err:
        ws.migrate(MigrateOptions(rollback=True))
    assert str(err.value) == ("no migration is applied: there is nothing to roll back\n"
                              "Fix: run `interlace migrate --list` to see the migrations")


def test_cli_migrate_list_dry_run_rollback(project: Path) -> None:
    d = ["--project-dir", str(project)]
    out = run_cli("migrate", "--dry-run", *d)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Would run 3 migrations:"
    out = run_cli("migrate", *d)
    assert out.stdout.splitlines() == [
        "Ran 3 migrations:",
        "  up   001_create_customers  (migrations/001_create_customers.up.sql)",
        "  up   002_add_email  (migrations/002_add_email.up.sql)",
        "  up   003_orders_view  (migrations/003_orders_view.up.sql)",
    ]
    assert run_cli("migrate", *d).stdout.strip() == "Nothing to migrate: every migration is applied."
    out = run_cli("migrate", "--rollback", "--json", *d)
    assert json.loads(out.stdout) == {"dry_run": False, "steps": [
        {"version": 3, "name": "003_orders_view", "direction": "down", "path": "migrations/003_orders_view.down.sql"}]}
    listed = json.loads(run_cli("migrate", "--list", "--json", *d).stdout)
    assert [(m["version"], m["applied"]) for m in listed] == [(1, True), (2, True), (3, False)]
    out = run_cli("migrate", "--to", "9", *d)
    assert out.returncode == 2
    assert out.stderr.strip() == ("Error: there is no migration 9 (versions: 1..3)\n"
                                  "Fix: give --to a version of migrations/, or 0 to roll back everything")
