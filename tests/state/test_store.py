from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from interlace.state.store import ModelRunRecord, StateStore


def test_migrates_and_records(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    store = StateStore(con)
    StateStore(con)  # a second open is a no-op migration
    store.start_run("r1", env="dev", selector="a+", trigger="python", total=1)
    store.record_model_run(ModelRunRecord(run_id="r1", model="a", status="success", rows_affected=3))
    store.finish_run("r1", status="success", succeeded=1, failed=0, skipped=0)
    assert store.run("r1").status == "success"
    assert store.run("r1").selector == "a+"
    assert [r.rows_affected for r in store.model_runs(run_id="r1")] == [3]
    from interlace.state.schema import VERSIONS

    assert con.execute("SELECT value FROM interlace.meta WHERE key = 'state_version'").fetchone() == (str(len(VERSIONS)),)


def test_values_are_bound_not_spliced(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    store = StateStore(con)
    nasty = "x'); DROP TABLE interlace.runs; --"
    store.start_run(nasty, env=nasty, selector=nasty, trigger="cli", total=0)
    assert store.run(nasty).env == nasty


def test_a_run_whose_process_died_is_marked_interrupted(make_project) -> None:
    root = make_project({"models/slow.sql": "SELECT count(*) AS n FROM range(1000000000000)"})
    proc = subprocess.Popen([sys.executable, "-m", "interlace", "run", "-d", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = root / ".interlace/dev.duckdb"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not db.exists():
        time.sleep(0.1)
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    import interlace

    with interlace.open(root) as ws:
        [run] = [r.to_dict() for r in ws.runs.history()]
        assert run["status"] == "interrupted"
        assert run["error"] == "the process running it ended before the run finished"
        assert run["finished_at"] is not None
        (root / "models/slow.sql").write_text("SELECT 1 AS n")
        ws.reload()
        assert ws.run().ok  # the project runs again afterwards
