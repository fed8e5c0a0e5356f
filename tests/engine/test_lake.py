"""A DuckLake warehouse (``type: ducklake`` as the default connection): models write lake tables,
time travel, ``table_changes`` in cursor models, and ``interlace lake`` maintenance."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from interlace.errors import InvalidOptionError
from tests.conftest import run_cli

LAKE_CONFIG = """
    connections:
      lake: {type: ducklake, path: lake/catalog.ducklake, data_path: lake/data}
    default_connection: lake
"""

FILES = {
    "config.yaml": LAKE_CONFIG,
    "models/raw.sql": """
        -- @model(strategy="append")
        SELECT id, amount FROM read_csv('seeds/events.csv')
    """,
    "models/feed.sql": """
        -- @model(cursor="snapshot_id", strategy="append")
        SELECT id, amount, change_type, snapshot_id FROM table_changes('raw')
    """,
    "models/total.sql": "SELECT sum(amount) AS s FROM raw",
    "models/by_id.sql": """
        -- @model(strategy="merge_by_key", primary_key="id")
        SELECT id, max(amount) AS amount FROM raw GROUP BY id
    """,
    "models/ids.sql": """
        -- @model(materialize="view")
        SELECT id FROM by_id
    """,
    "models/big.py": """
        from interlace import model

        @model
        def big(raw):
            return raw.filter(raw.amount > 15)
    """,
}


def _events(project: Path, rows: list[tuple[int, int]]) -> None:
    (project / "seeds").mkdir(exist_ok=True)
    lines = ["id,amount", *(f"{i},{a}" for i, a in rows)]
    (project / "seeds" / "events.csv").write_text("\n".join(lines) + "\n")


def test_a_lake_project_builds_time_travels_and_reads_table_changes(make_project, open_ws) -> None:
    project = make_project(FILES)
    _events(project, [(1, 10), (2, 20)])
    ws = open_ws(project)
    ws.run().raise_for_status()
    # the tables are in the lake (Parquet files and its catalog), the run state in its own file
    assert ws.sql("SELECT s FROM total").fetchall() == [(30,)]
    assert ws.sql("SELECT count(*) FROM lake.main.raw").fetchall() == [(2,)]
    assert (project / "lake" / "catalog.ducklake").is_file()
    assert (project / ".interlace" / "dev.state.duckdb").is_file()
    assert not (project / ".interlace" / "dev.duckdb").exists()
    assert sorted(ws.table("big").to_pyarrow().to_pylist(), key=lambda r: r["id"]) == [{"id": 2, "amount": 20}]
    first = ws.snapshots()[-1].id
    feed = ws.sql("SELECT id, change_type FROM feed ORDER BY id").fetchall()
    assert feed == [(1, "insert"), (2, "insert")]

    _events(project, [(3, 5)])
    ws.run().raise_for_status()
    assert ws.sql("SELECT s FROM total").fetchall() == [(35,)]
    assert ws.sql("SELECT id, amount FROM by_id ORDER BY id").fetchall() == [(1, 10), (2, 20), (3, 5)]
    assert ws.sql("SELECT count(*) FROM lake.main.ids").fetchall() == [(3,)]
    # the feed read only the rows raw gained since the snapshot it last read
    assert ws.sql("SELECT id, change_type FROM feed ORDER BY id").fetchall() == [
        (1, "insert"), (2, "insert"), (3, "insert")]
    assert ws.sql("SELECT count(DISTINCT snapshot_id) FROM feed").fetchall() == [(2,)]
    # time travel: raw as of the end of the first run, by snapshot id and by time
    old = ws.table("raw", at=first).to_pyarrow().to_pylist()
    assert sorted(r["id"] for r in old) == [1, 2]
    when = next(s.time for s in ws.snapshots() if s.id == first)
    assert sorted(r["id"] for r in ws.table("raw", at=when).to_pyarrow().to_pylist()) == [1, 2]
    assert sorted(r["id"] for r in ws.table("raw").to_pyarrow().to_pylist()) == [1, 2, 3]


def test_table_changes_needs_the_snapshot_cursor(make_project, open_ws) -> None:
    project = make_project({**FILES, "models/feed.sql": """
        -- @model(strategy="append")
        SELECT id FROM table_changes('raw')
    """})
    _events(project, [(1, 10)])
    result = open_ws(project).run()
    assert result.results["feed"].status == "failed"
    assert str(result.results["feed"].error) == (
        "model 'feed' (models/feed.sql:1): the model reads table_changes(...) but its "
        "cursor is not set: the change feed is read from the snapshot after the one the model last read, "
        "which needs that snapshot as its watermark\n"
        "Fix: declare the model with cursor='snapshot_id' and strategy='append' (or 'merge_by_key')"
    )


def test_time_travel_needs_a_lake(make_project, open_ws) -> None:
    project = make_project({"models/n.sql": "SELECT 1 AS n"})
    ws = open_ws(project)
    ws.run().raise_for_status()
    with pytest.raises(InvalidOptionError) as err:
        ws.table("n", at=1)
    assert str(err.value) == (
        "ws.table('n', at=...) needs a DuckLake warehouse; the default connection 'default' is type duckdb\n"
        "Fix: set the default connection to type: ducklake in config.yaml"
    )


def test_lake_checkpoint_and_expire_from_the_cli(make_project) -> None:
    project = make_project(FILES)
    _events(project, [(1, 10), (2, 20)])
    assert run_cli("run", "--project-dir", str(project)).returncode == 0
    _events(project, [(3, 30)])
    assert run_cli("run", "--project-dir", str(project)).returncode == 0
    snaps = run_cli("lake", "snapshots", "--project-dir", str(project))
    assert snaps.returncode == 0, snaps.stderr
    assert "tables_created" in snaps.stdout
    # small writes sit inlined in the catalog until a checkpoint writes them as Parquet
    raw = project / "lake" / "data" / "main" / "raw"
    assert not list(raw.rglob("*.parquet"))
    out = run_cli("lake", "checkpoint", "--project-dir", str(project))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("checkpoint of lake 'lake': snapshot ")
    assert list(raw.rglob("*.parquet"))
    now = datetime.now(UTC).isoformat()
    out = run_cli("lake", "expire", "--older-than", now, "--project-dir", str(project))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("expired ")
    out = run_cli("lake", "expire", "--older-than", "yesterday", "--project-dir", str(project))
    assert out.returncode == 2
    assert "'yesterday' is not an ISO time or a duration" in out.stderr
    # the data is intact after maintenance
    from interlace import open as open_project

    with open_project(project) as ws:
        assert ws.sql("SELECT s FROM total").fetchall() == [(60,)]


def test_lake_commands_need_a_lake(make_project) -> None:
    project = make_project({"models/n.sql": "SELECT 1 AS n"})
    out = run_cli("lake", "checkpoint", "--project-dir", str(project))
    assert out.returncode == 2
    assert "interlace lake checkpoint needs a DuckLake warehouse; the default connection 'default' " \
        "is type duckdb" in out.stderr
