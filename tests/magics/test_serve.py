"""``%interlace serve``: the API in the kernel on the session's workspace, published as the
warehouse's owner until ``--stop``."""

from __future__ import annotations

from pathlib import Path

from tests.magics.conftest import run_capturing, session


def test_serve_starts_says_where_and_stops(shell, project: Path) -> None:
    shell.run_cell_magic("interlace_model", "m --no-run", "SELECT 1 AS x")
    said = run_capturing(lambda: shell.run_line_magic("interlace", "serve --port 0 --no-dashboard")).stdout
    server = session(shell).server
    assert said.splitlines() == [
        f"interlace serving project (dev) from this kernel at {server.url}",
        f"  API docs   {server.url}/api/docs",
        "  `interlace run`, `plan`, `info`, ... in this project are sent to this kernel; "
        "%interlace serve --stop stops serving"]
    assert server.channel.workspace is session(shell).workspace  # the session's models, bus and runs
    again = run_capturing(lambda: shell.run_line_magic("interlace", "serve")).stdout
    assert again == f"Already serving at {server.url} (%interlace serve --stop stops it).\n"
    assert (project / ".interlace" / "owner" / "dev.json").exists()
    stopped = run_capturing(lambda: shell.run_line_magic("interlace", "serve --stop")).stdout
    assert stopped == ("Stopped serving: the kernel still holds the warehouse, terminal commands cannot "
                       "reach it.\n")
    assert not (project / ".interlace" / "owner" / "dev.json").exists()
    assert run_capturing(lambda: shell.run_line_magic("interlace", "serve --stop")).stdout == (
        "Not serving (%interlace serve starts it).\n")
    shell.run_line_magic("interlace", "run m")  # the session's runs outlive the server
    assert session(shell).workspace.sql("SELECT x FROM m").fetchall() == [(1,)]
