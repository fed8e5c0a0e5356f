"""Finding 7: a run whose process died is marked interrupted even when the next process has its PID.

The container case for real: each ``interlace`` process runs as PID 1 of a new PID namespace
(``unshare --pid --fork``, as a container's entrypoint does). The first is killed mid-run; the
second, also PID 1, opens the warehouse and must not take the dead run for its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import interlace
from tests.conftest import write_files

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]
HANGING = {
    "models/base.sql": "SELECT range AS n FROM range(3)\n",
    "models/hang.py": """
        import time
        from pathlib import Path

        from interlace import model


        @model(materialize="table")
        def hang(base):
            Path(__file__).parents[1].joinpath("started").write_text("yes")
            time.sleep(600)
            return base
    """,
}


def _report(project: Path) -> str:
    """Open the warehouse as PID 1 of a new namespace; print the PID and the first run's row."""
    code = (f"import os, interlace; ws = interlace.open({str(project)!r}); r = ws.state.runs()[0]; "
            "print(os.getpid(), r.pid, r.status, r.error); ws.close()")
    return subprocess.run([*UNSHARE, sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip()


def test_a_run_killed_as_pid_1_is_interrupted_when_the_next_pid_1_opens(tmp_path: Path) -> None:
    write_files(tmp_path, HANGING)
    for attempt in range(3):  # the red team's 3 of 3 kills
        (tmp_path / "started").unlink(missing_ok=True)
        runner = subprocess.Popen([*UNSHARE, str(Path(sys.executable).with_name("interlace")), "run", "--force",
                                   "--project-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True)
        deadline = time.monotonic() + 120
        while not (tmp_path / "started").exists():
            assert runner.poll() is None, runner.communicate()
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.05)
        os.killpg(runner.pid, signal.SIGKILL)  # a crash: nothing gets to clean up
        runner.wait(timeout=60)
        assert _report(tmp_path) == "1 1 interrupted the process running it ended before the run finished", attempt


def test_a_run_of_this_process_is_not_taken_for_a_dead_one(tmp_path: Path) -> None:
    write_files(tmp_path, {"models/base.sql": "SELECT 1 AS n\n"})
    with interlace.open(tmp_path) as ws:
        ws.state.start_run("r-live", env="dev", selector=None, trigger="test", total=1)
        assert ws.state.mark_interrupted() == 0  # our own run: still running
        assert ws.state.run("r-live").status == "running"
        # the same PID with another process's token: a predecessor that died
        ws.engine.connection.execute("UPDATE interlace.runs SET owner = ? WHERE run_id = 'r-live'",
                                     [f"{os.getpid()}:0:deadbeef"])
        assert ws.state.mark_interrupted() == 1
        assert ws.state.run("r-live").status == "interrupted"


def test_a_notebook_run_whose_pid_now_belongs_to_another_process_is_interrupted(tmp_path: Path) -> None:
    """The notebook runner's record is judged alive by its owner token, not by ``kill(pid, 0)``."""
    write_files(tmp_path, {"models/base.sql": "SELECT 1 AS n\n"})
    with interlace.open(tmp_path) as ws:
        ws.state.start_notebook_run("nb-live", notebook="a.ipynb", parameters={}, trigger="test", kernel="python3",
                                    output_path="out.ipynb")
        assert ws.state.mark_notebook_runs_interrupted() == 0  # ours: alive
        # PID 1 exists (it is another process now), but not the one that started the run
        ws.engine.connection.execute("UPDATE interlace.notebook_runs SET pid = 1, owner = '1:0:deadbeef'")
        assert ws.state.mark_notebook_runs_interrupted() == 1
        assert ws.state.notebook_runs()[0].status == "interrupted"
