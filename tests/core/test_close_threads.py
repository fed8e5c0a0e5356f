"""Closing a workspace closes every thread's reader cursor and drops it on the closing thread.

A DuckDB cursor that outlives ``close()`` in a thread's local storage is destroyed when that
thread ends; if that happens while the interpreter finalizes, DuckDB's destructor (which
releases and retakes the GIL) is ended by CPython inside C++ and the process aborts with
``terminate called without an active exception`` (seen after cancelling a running model and
exiting at once: the run manager's worker thread still held its reader). The workspace also
joins that worker thread before it returns.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

import interlace
from tests.conftest import write_files


def test_close_closes_the_reader_cursor_another_thread_still_holds(tmp_path: Path) -> None:
    ws = interlace.open(write_files(tmp_path / "p", {"config.yaml": "name: p\n"}))
    got, done = threading.Event(), threading.Event()
    held: list[duckdb.DuckDBPyConnection] = []

    def reader() -> None:
        held.append(ws.engine.reader())
        got.set()
        done.wait(30)

    thread = threading.Thread(target=reader)
    thread.start()
    got.wait(30)
    try:
        ws.close()
        with pytest.raises(duckdb.ConnectionException):
            held[0].execute("SELECT 1")
        assert ws.engine._readers == []
    finally:
        done.set()
        thread.join(30)
