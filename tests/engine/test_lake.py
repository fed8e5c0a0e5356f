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


LAKE_SCHEDULES = LAKE_CONFIG + """
    schedules:
      nightly:
        cron: "0 3 * * *"
        lake: {checkpoint: true, expire_older_than: 1s}
      flush:
        every: 1h
        lake: checkpoint
"""


def test_the_scheduler_runs_lake_maintenance_and_a_failure_is_a_dead_letter(make_project, open_ws,
                                                                           monkeypatch) -> None:
    from datetime import timedelta

    from interlace.scheduler import Scheduler

    project = make_project({**FILES, "config.yaml": LAKE_SCHEDULES})
    _events(project, [(1, 10), (2, 20)])
    ws = open_ws(project)
    ws.run().raise_for_status()
    raw = project / "lake" / "data" / "main" / "raw"
    assert not list(raw.rglob("*.parquet"))  # inlined in the catalog until a checkpoint
    # the scheduler's clock is a day ahead (02:00 tomorrow), so every snapshot is older than 1s
    # when the fire expires them, however fast or slow this machine is
    t0 = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) + timedelta(days=1)
    clock = [t0]
    scheduler = Scheduler(ws, clock=lambda: clock[0])
    defs = scheduler.load(t0)
    assert defs["nightly"].kind == "lake"
    assert defs["nightly"].runs == "lake: checkpoint, expire snapshots older than 1s"
    assert defs["flush"].runs == "lake: checkpoint"
    before = len(ws.snapshots())
    clock[0] = t0 + timedelta(hours=1, seconds=1)  # 03:00:01: both schedules are due
    (fire,) = [f for f in scheduler.tick(clock[0]) if f.schedule == "nightly"]
    assert fire.status == "running"
    scheduler.wait_idle()
    assert [f.status for f in ws.schedule_fires("nightly")] == ["success"]
    assert [(f.status, f.error) for f in ws.schedule_fires("flush")] == [("success", None)]
    assert list(raw.rglob("*.parquet"))  # the checkpoint wrote the inlined rows as Parquet
    assert len(ws.snapshots()) < before  # older snapshots expired
    assert ws.sql("SELECT s FROM total").fetchall() == [(30,)]
    # a maintenance that fails (the disk is full, say) is a failed fire and a dead letter
    import duckdb

    import interlace.engine.lake as lake_module

    real, calls = lake_module.checkpoint, []

    def full_disk(cursor, lake):
        calls.append(lake)
        if len(calls) == 1:
            raise duckdb.IOException("IO Error: No space left on device")
        return real(cursor, lake)

    monkeypatch.setattr(lake_module, "checkpoint", full_disk)
    _events(project, [(3, 30)])
    ws.run().raise_for_status()
    clock[0] = t0 + timedelta(days=1)
    scheduler.trigger("flush", clock[0])
    scheduler.wait_idle()
    failed = ws.schedule_fires("flush")[0]
    assert failed.status == "failed"
    assert failed.error == "lake maintenance failed: IO Error: No space left on device"
    (letter,) = ws.dlq.list("open")
    assert letter.payload == {"schedule": "flush", "lake": {"checkpoint": True, "expire_older_than_s": None}}
    retried = ws.dlq.retry(letter.id)  # space was freed: the retry resolves it
    assert (retried.status, retried.letter.status) == ("success", "resolved")
    scheduler.stop()


def test_a_lake_schedule_needs_a_lake_warehouse_and_something_to_do(make_project) -> None:
    from interlace.errors import ConfigError

    project = make_project({"models/n.sql": "SELECT 1 AS n", "config.yaml": """
        schedules:
          nightly: {cron: "0 3 * * *", lake: checkpoint}
    """})
    out = run_cli("schedule", "list", "--project-dir", str(project))
    assert out.returncode == 2
    said = " ".join(out.stderr.split())
    assert ("config.yaml: key 'schedules.nightly.lake' schedules DuckLake maintenance, but the default "
            "connection 'default' is type duckdb Fix: remove 'schedules.nightly' or make the warehouse a "
            "type: ducklake connection") in said
    (project / "config.yaml").write_text(LAKE_CONFIG.replace("\n    ", "\n") + (
        "schedules:\n  nightly: {cron: '0 3 * * *', lake: {checkpoint: false}}\n"))
    with pytest.raises(ConfigError, match="says to do nothing: set 'checkpoint: true' and/or "
                                          "'expire_older_than'"):
        from interlace import open as open_project

        open_project(project)


def test_expire_keeps_what_a_change_feed_model_still_reads(make_project, open_ws) -> None:
    project = make_project(FILES)
    _events(project, [(1, 10), (2, 20)])
    ws = open_ws(project)
    ws.run().raise_for_status()
    _events(project, [(3, 30)])
    ws.run("raw").raise_for_status()  # new rows in raw that feed has not read yet
    watermark = int(ws.state.cursor_value("feed")[1])
    done = ws.lake_expire(datetime.now(UTC))
    assert done.kept_from == watermark + 1 and done.expired
    assert min(s.id for s in ws.snapshots()) <= watermark + 1
    ws.run().raise_for_status()  # feed resumes where it stopped: nothing is lost to it
    assert sorted(ws.sql("SELECT id FROM feed WHERE change_type = 'insert'").fetchall()) == [(1,), (2,), (3,)]


def test_a_change_feed_expired_by_hand_is_an_error_that_says_how_to_recover(make_project, open_ws) -> None:
    from interlace.errors import ExecutionError

    project = make_project(FILES)
    _events(project, [(1, 10), (2, 20)])
    ws = open_ws(project)
    ws.run().raise_for_status()
    _events(project, [(4, 40)])
    ws.run("raw").raise_for_status()
    ws.run("raw").raise_for_status()
    ws.sql("SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())").fetchall()
    with pytest.raises(ExecutionError) as info:
        ws.run("feed").raise_for_status()
    oldest = min(s.id for s in ws.snapshots())
    assert "the model reads the change feed from snapshot " in str(info.value)
    assert f"but the lake 'lake' keeps snapshots from {oldest} only (older ones were expired)" in str(info.value)
    assert info.value.hint.startswith("`interlace state reset-cursor feed` makes it read the feed again")
    assert ws.reset_cursor("feed")
    ws.run("feed").raise_for_status()  # from the oldest snapshot kept


def test_writes_to_a_lake_take_turns_within_a_process(make_project, open_ws) -> None:
    """Two transactions writing one DuckLake at once sometimes corrupt its commit (a DuckLake bug
    reproduced in 2 of 40 stress runs): the engine runs them one at a time."""
    import threading

    project = make_project(FILES)
    ws = open_ws(project)
    engine = ws.engine
    first_open, second_began, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        cursor = engine.cursor()
        with engine.transaction(cursor):
            cursor.execute("CREATE TABLE lake.one AS SELECT 1 AS x")
            first_open.set()
            release.wait(30)

    def second() -> None:
        first_open.wait(30)
        cursor = engine.cursor()
        with engine.transaction(cursor):
            second_began.set()
            cursor.execute("CREATE TABLE lake.two AS SELECT 2 AS x")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_open.wait(30)
    assert not second_began.wait(0.5)  # the second write waits for the first to commit
    release.set()
    for thread in threads:
        thread.join(30)
    assert second_began.is_set()
    assert ws.sql("SELECT (SELECT x FROM lake.one), (SELECT x FROM lake.two)").fetchall() == [(1, 2)]
