"""While a notebook cell runs, a run from the dashboard/API or a terminal goes by the run manager's
policy (refused under ``reject``, queued under ``queue``): never two runs on the one connection."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import interlace
from interlace.events import ModelStarted
from interlace.server.app import start_in_thread
from tests.conftest import run_cli

GATE = (
    "import time\nfrom pathlib import Path\nfrom interlace import model\n\n\n"
    "@model(materialize='table')\ndef gated(stg_orders):\n"
    "    while not Path({gate!r}).exists():  # the test opens it\n"
    "        time.sleep(0.02)\n    return stg_orders\n"
)


def test_runs_from_the_api_and_the_terminal_wait_for_the_cells_run(project: Path) -> None:
    gate = project / "gate"
    (project / "models" / "gated.py").write_text(GATE.format(gate=str(gate)))
    ws = interlace.open(project)
    started = threading.Event()
    ws.events.subscribe(
        lambda e: started.set() if isinstance(e, ModelStarted) and e.model == "gated" else None
    )
    key = ws.keys.create("notebook-test", "run").key
    server = start_in_thread(ws, "127.0.0.1", 0, dashboard=False, owner="kernel")
    try:
        cell = threading.Thread(
            target=lambda: ws.run(trigger="notebook")
        )  # a cell's run, in the foreground
        cell.start()
        assert started.wait(60)
        busy = ws.runs.active()[0].run_id
        request = urllib.request.Request(
            f"{server.url}/api/v1/runs",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(request, timeout=60)
            raise AssertionError("the API started a second run")
        except urllib.error.HTTPError as refused:
            assert refused.code == 409
            assert json.loads(refused.read())["error"]["code"] == "RUN_IN_PROGRESS"
        terminal = run_cli("run", "-d", str(project))
        assert terminal.returncode == 2
        assert terminal.stderr.splitlines() == [
            f"Error: run {busy} is still in progress; one run at a time",
            "Fix: wait for it to finish, cancel it, or use the 'queue' run policy (run.policy: queue)",
        ]
        gate.touch()
        cell.join(60)
        assert not cell.is_alive()
        assert [(r.run_id, r.status, r.trigger) for r in ws.runs.history(5)] == [
            (busy, "success", "notebook")
        ]
    finally:
        server.stop()
    assert (
        ws.run("gated", force=True).status == "success"
    )  # stopping the server left the session's runs alone
    ws.close()

