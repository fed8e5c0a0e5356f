"""Errors shown once with the user's frames; a cancelled run is one line; cancel says what it waits
for and a second interrupt abandons the wait (issue 12, items 2 and 3)."""

from __future__ import annotations

import _thread
import threading
import time

import pytest
from IPython.utils.capture import capture_output

from interlace.errors import RunCancelled
from tests.magics.conftest import run_capturing, session


def _texts(captured) -> str:
    parts = [captured.stdout, captured.stderr]
    parts += [o.data.get("text/plain", "") for o in captured.outputs]
    return "\n".join(parts)


def test_a_failing_cell_shows_its_error_once(shell) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - the error itself is checked below
        shell.run_cell_magic("interlace_model", "bad", "SELECT nope FROM range(3)")
    captured = run_capturing(lambda: shell.run_cell('%%interlace_model bad\nSELECT nope FROM range(3)',
                                                    raising=False))
    text = _texts(captured)
    assert text.count('Referenced column "nope" not found') == 1
    assert "ExecutionError\x1b[0m: model 'bad' failed; its error is shown above" in text


def test_a_python_model_error_shows_the_users_frames(shell) -> None:
    code = ("from interlace import model\n"
            "@model()\n"
            "def boom():\n"
            "    return helper()\n"
            "def helper():\n"
            "    raise ValueError('no data for today')\n")
    shell.run_cell(code)
    captured = run_capturing(lambda: shell.run_cell("%interlace run boom", raising=False))
    text = _texts(captured)
    assert "the Python model raised ValueError: no data for today" in text
    assert "in helper" in text and "raise ValueError('no data for today')" in text  # the user's frames
    assert "interlace/engine" not in text  # and none of interlace's


def test_cancel_says_what_it_waits_for_and_a_second_interrupt_abandons(shell) -> None:
    release, finished = threading.Event(), threading.Event()
    shell.user_ns.update(release=release, finished=finished)
    shell.run_cell("from interlace import model\n"
                   "@model()\n"
                   "def stubborn():\n"
                   "    release.wait(120)  # Python code: DuckDB's interrupt cannot stop it\n"
                   "    finished.set()\n"
                   "    return [{'x': 1}]\n")
    ws = session(shell).workspace
    started = threading.Event()
    ws.events.subscribe(lambda e: started.set(), types=["model.started"])
    cancelling = threading.Event()
    ws.events.subscribe(lambda e: cancelling.set(), types=["run.cancelling"])

    def interrupt_twice() -> None:
        if started.wait(60):
            time.sleep(0.5)  # the run is waiting for the model now
            _thread.interrupt_main()
            if cancelling.wait(60):
                time.sleep(0.5)  # a person presses again a moment later, while the run waits
                _thread.interrupt_main()

    threading.Thread(target=interrupt_twice, daemon=True).start()
    with capture_output() as captured, pytest.raises(RunCancelled, match="cancelled: the models it was building"):
        shell.run_line_magic("interlace", "run stubborn")
    assert not finished.is_set()  # the run ended without waiting for the model
    assert "cancelling… (waiting for model stubborn; press Ctrl-C again to abandon)" in captured.stdout
    release.set()
    record = ws.runs.history(1)[0]
    assert record.status == "cancelled"
    assert [r.skip_reason for r in ws.model_runs(run_id=record.run_id)][-1] == "abandoned"


def test_the_cancelling_message(shell) -> None:
    from interlace.events import RunCancelling

    assert RunCancelling(waiting_for=("orders",)).describe() == (
        "cancelling… (waiting for model orders; press Ctrl-C again to abandon)")
    assert RunCancelling(waiting_for=("a", "b")).describe() == (
        "cancelling… (waiting for models a, b; press Ctrl-C again to abandon)")


def test_a_cancelled_run_shows_one_line(shell) -> None:
    stb = session(shell).show_error(shell, RunCancelled, RunCancelled("run r1 cancelled: rolled back"), None)
    assert stb == ["\x1b[0;33mRun cancelled\x1b[0m: run r1 cancelled: rolled back"]
