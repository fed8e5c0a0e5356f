from __future__ import annotations

import pytest

from interlace.errors import InvalidOptionError
from tests.conftest import run_cli

EVENTS = "CREATE TABLE IF NOT EXISTS raw_events AS SELECT * FROM (VALUES (1, TIMESTAMP '2026-01-01 10:00'), (2, TIMESTAMP '2026-01-02 10:00')) v(id, seen_at)"


def project(make_project, open_ws, strategy: str = "append"):
    root = make_project({
        "models/events.sql": f'-- @model(strategy="{strategy}", primary_key="id", cursor="seen_at")\nSELECT id, seen_at FROM raw_events',
    })
    ws = open_ws(root)
    ws.sql(EVENTS)
    return root, ws


def add_events(ws, *rows: tuple[int, str]) -> None:
    for id_, at in rows:
        ws.sql("INSERT INTO raw_events VALUES (?, CAST(? AS TIMESTAMP))", [id_, at])


def test_cursor_reads_only_new_rows_and_advances(make_project, open_ws) -> None:
    root, ws = project(make_project, open_ws)
    first = ws.run()
    assert first["events"].inserted == 2
    assert ws.state.cursor_value("events") == ("seen_at", "2026-01-02 10:00:00")
    add_events(ws, (3, "2026-01-03 09:00"))
    second = ws.run()
    assert second["events"].reason == "source model reading raw_events: rebuilt every run (cache={'ttl': ...} reuses a recent result)"
    assert second["events"].inserted == 1
    assert ws.sql("SELECT id FROM events ORDER BY id").fetchall() == [(1,), (2,), (3,)]
    assert ws.state.cursor_value("events") == ("seen_at", "2026-01-03 09:00:00")
    third = ws.run()
    assert third["events"].inserted == 0
    assert ws.sql("SELECT count(*) FROM events").fetchone() == (3,)


def test_backfill_window_neither_uses_nor_moves_the_watermark(make_project, open_ws) -> None:
    root, ws = project(make_project, open_ws, strategy="merge_by_key")
    ws.run()
    ws.sql("UPDATE raw_events SET id = id WHERE id = 1")
    add_events(ws, (0, "2025-12-31 08:00"))  # arrives late, below the watermark
    normal = ws.run()
    assert normal["events"].inserted == 0
    plan = ws.plan(since="2025-12-31", until="2026-01-01")
    assert plan.step("events").reason == "backfill of the --since/--until window"
    backfill = ws.run(since="2025-12-31", until="2026-01-01")
    assert backfill["events"].inserted == 1
    assert ws.state.cursor_value("events") == ("seen_at", "2026-01-02 10:00:00")
    assert ws.sql("SELECT id FROM events ORDER BY id").fetchall() == [(0,), (1,), (2,)]


def test_reset_cursor_reads_everything_again(make_project, open_ws) -> None:
    root, ws = project(make_project, open_ws, strategy="merge_by_key")
    ws.run()
    assert ws.reset_cursor("events") is True
    assert ws.state.cursor_value("events") is None
    again = ws.run()
    assert (again["events"].inserted, again["events"].updated) == (0, 0)
    assert ws.state.cursor_value("events") == ("seen_at", "2026-01-02 10:00:00")


def test_python_model_inputs_are_filtered_too(make_project, open_ws) -> None:
    root = make_project({"models/py_events.py": """
        from interlace import model

        @model(strategy="append", cursor="seen_at")
        def py_events(raw_events):
            return raw_events.select("id")
    """})
    ws = open_ws(root)
    ws.sql(EVENTS)
    assert ws.run()["py_events"].inserted == 2
    add_events(ws, (3, "2026-01-05 00:00"))
    assert ws.run()["py_events"].inserted == 1


def test_cursor_column_absent(make_project, open_ws) -> None:
    root = make_project({"models/events.sql": '-- @model(strategy="append", cursor="updated")\nSELECT id FROM raw_events'})
    ws = open_ws(root)
    ws.sql(EVENTS)
    error = ws.run()["events"].error
    assert str(error) == (
        "model 'events' (models/events.sql:1): cursor column 'updated' is in none of the model's input tables "
        "(raw_events)\nFix: name a column that an input table has (cursor='...'), or remove cursor="
    )
    assert ws.state.cursor_value("events") is None


def test_since_after_until_is_rejected(make_project, open_ws) -> None:
    root, ws = project(make_project, open_ws)
    with pytest.raises(InvalidOptionError) as exc:
        ws.run(since="2026-02-01", until="2026-01-01")
    assert str(exc.value) == (
        "--since 2026-02-01 is not before --until 2026-01-01\n"
        "Fix: give a window whose start comes before its end (--since is inclusive, --until exclusive)"
    )
    ws.close()
    result = run_cli("run", "--since", "5", "--until", "3", "-d", str(root))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: --since 5 is not before --until 3")


def test_reset_cursor_cli(make_project, open_ws) -> None:
    root, ws = project(make_project, open_ws)
    ws.run()
    ws.close()
    out = run_cli("state", "reset-cursor", "events", "-d", str(root))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Cleared the watermark of 'events': its next run reads all input rows."
    again = run_cli("state", "reset-cursor", "events", "-d", str(root))
    assert again.stdout.strip() == "'events' had no watermark."
