"""``%interlace migrate``: the same options as the CLI, shown as a table."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_files
from tests.magics.conftest import html_tables, run_capturing


def test_migrate_magic_applies_lists_and_rolls_back(shell, project: Path) -> None:
    write_files(project, {
        "migrations/001_t.up.sql": "CREATE TABLE t (x INTEGER);\n",
        "migrations/001_t.down.sql": "DROP TABLE t;\n",
    })
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "migrate --dry-run"))
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["Migrations: would run 1"]
    assert tables[0][1:] == [["1", "001_t", "up", "migrations/001_t.up.sql"]]
    run_capturing(lambda: shell.run_line_magic("interlace", "migrate"))
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "migrate --list"))
    assert html_tables(captured.outputs[0].data["text/html"])[1][0][1:] == [["1", "001_t", "applied", "yes"]]
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "migrate --rollback"))
    assert html_tables(captured.outputs[0].data["text/html"])[1][0][1:] == [
        ["1", "001_t", "down", "migrations/001_t.down.sql"]]
