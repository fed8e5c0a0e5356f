"""``GET /api/v1/migrations`` on a real server over HTTP."""

from __future__ import annotations

from interlace.options import MigrateOptions


def test_migrations_endpoint_lists_applied_and_pending(live_factory) -> None:
    live = live_factory({
        "models/one.sql": "SELECT 1 AS x",
        "migrations/001_a.up.sql": "CREATE TABLE a (x INTEGER);\n",
        "migrations/001_a.down.sql": "DROP TABLE a;\n",
        "migrations/002_b.sql": "CREATE TABLE b (x INTEGER);\n",
    })
    live.workspace.migrate(MigrateOptions(to=1))
    with live.client("read") as client:
        body = client.get("/api/v1/migrations").json()
    first, second = body["migrations"]
    assert (first["version"], first["name"], first["applied"], first["reversible"]) == (1, "001_a", True, True)
    assert first["applied_at"] is not None
    assert second == {"version": 2, "name": "002_b", "applied": False, "applied_at": None, "reversible": False}


def test_migrations_endpoint_reports_a_changed_file(live_factory) -> None:
    live = live_factory({"models/one.sql": "SELECT 1 AS x", "migrations/001_a.sql": "CREATE TABLE a (x INTEGER);\n"})
    live.workspace.migrate()
    (live.workspace.root / "migrations" / "002_c.sql").write_text("SELECT 1;\n")
    (live.workspace.root / "migrations" / "004_d.sql").write_text("SELECT 1;\n")
    with live.client("read") as client:
        response = client.get("/api/v1/migrations")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "MIGRATION_ERROR"
    assert response.json()["error"]["message"] == "migration numbering has a gap: 3 is missing (after 002_c.sql)"
