"""A kernel interrupt during ``%interlace run`` cancels the run: rolled back, recorded as cancelled."""

from __future__ import annotations

import _thread
import queue
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.magics.conftest import session

SLOW = "SELECT count(*) AS n FROM range(1000000000000) AS r(i), quick"


def test_interrupt_in_process_cancels_the_run(shell) -> None:
    shell.run_cell_magic("interlace_model", "quick --no-run", "SELECT 1 AS x")
    shell.run_cell_magic("interlace_model", "slow --no-run", SLOW)
    ws = session(shell).workspace
    started = threading.Event()
    ws.events.subscribe(lambda e: e.model == "slow" and started.set(), types=["model.started"])

    def interrupt() -> None:
        if started.wait(60):
            time.sleep(0.5)  # let the statement start, so the interrupt reaches DuckDB
            _thread.interrupt_main()  # what the kernel's SIGINT handler does

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt, match="cancelled: the models it was building were rolled back"):
        shell.run_line_magic("interlace", "run")
    last = ws.runs.history(1)[0].to_dict()
    assert last["status"] == "cancelled"
    assert not ws.engine.exists(ws.project.relation(ws.models["slow"]))
    assert ws.sql("SELECT x FROM quick").fetchone() == (1,)
    shell.run_cell_magic("interlace_model", "after", "SELECT 2 AS y")  # the session goes on
    assert ws.sql("SELECT y FROM after").fetchone() == (2,)


@pytest.mark.slow
def test_kernel_interrupt_in_a_real_kernel_cancels_the_run(tmp_path: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        setup = kc.execute_interactive(
            "%load_ext interlace\n"
            f"get_ipython().run_cell_magic('interlace_model', 'quick --no-run', 'SELECT 1 AS x')\n"
            f"get_ipython().run_cell_magic('interlace_model', 'slow --no-run', {SLOW!r})\n",
            timeout=120,
        )
        assert setup["content"]["status"] == "ok", setup["content"]
        msg_id = kc.execute("%interlace run")
        _wait_for_running(kc, msg_id, "slow")
        time.sleep(0.5)  # let the statement start, so the interrupt reaches DuckDB
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=120)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "RunCancelled"  # a KeyboardInterrupt, shown as one line
        check = kc.execute_interactive("%interlace info", timeout=60)  # the kernel is still usable
        assert check["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    con = duckdb.connect(str(tmp_path / ".interlace" / "dev.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT status FROM interlace.runs ORDER BY started_at DESC LIMIT 1").fetchone() == ("cancelled",)
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'slow'").fetchone() == (0,)
        assert con.execute("SELECT x FROM quick").fetchone() == (1,)
    finally:
        con.close()


def _wait_for_running(kc, msg_id: str, model: str) -> None:  # noqa: ANN001 - a jupyter_client client
    """Read iopub until the RunProgress widget of ``msg_id`` says ``model`` is running."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=5)
        except queue.Empty:
            continue
        if msg["msg_type"] == "error":
            raise AssertionError(msg["content"])
        if msg["msg_type"] != "comm_msg":
            continue
        state = msg["content"]["data"].get("state", {})
        if any(m.get("model") == model and m.get("status") == "running" for m in state.get("models", [])):
            return
    raise AssertionError(f"the kernel never reported {model} running")
