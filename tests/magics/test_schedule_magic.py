"""``%interlace schedule``: list, status, trigger (with a retry), pause/resume, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError

from interlace.errors import ExecutionError, UnknownScheduleError
from tests.conftest import write_files
from tests.magics.conftest import run_capturing, session


def test_schedule_magic_lists_triggers_and_pauses(shell, project: Path) -> None:
    write_files(project, {
        "config.yaml": "name: nb\nschedules:\n  hourly:\n    selector: numbers\n    every: 1h\n"
                       "  broken:\n    selector: bad\n    every: 1h\n"
                       "    retry_policy: {max_attempts: 2, initial_delay: 0, jitter: false}\n",
        "models/numbers.sql": "SELECT range AS n FROM range(3)",
        "models/bad.sql": "SELECT * FROM missing_table",
    })
    listed = run_capturing(lambda: shell.run_line_magic("interlace", "schedule list"))
    text = listed.outputs[0].data["text/plain"]
    assert "Schedules: 2" in text and "hourly" in text and "every 3600s" in text
    fired = run_capturing(lambda: shell.run_line_magic("interlace", "schedule trigger hourly"))
    assert fired.stdout.startswith("hourly: success (run ")
    ws = session(shell).workspace
    assert ws.sql("SELECT count(*) FROM numbers").fetchall() == [(3,)]
    with pytest.raises(ExecutionError, match="schedule 'broken' fired and ended failed: models failed: bad"):
        shell.run_line_magic("interlace", "schedule trigger broken")
    status = run_capturing(lambda: shell.run_line_magic("interlace", "schedule status broken"))
    text = status.outputs[0].data["text/plain"]
    assert "Fires of broken: 1" in text and "failed" in text
    assert [(f.status, f.attempt) for f in ws.schedule_fires("broken")] == [("failed", 2)]
    paused = run_capturing(lambda: shell.run_line_magic("interlace", "schedule pause hourly"))
    assert paused.stdout.strip() == "hourly: paused"
    assert ws.schedule_records()["hourly"].paused is True
    resumed = run_capturing(lambda: shell.run_line_magic("interlace", "schedule resume hourly"))
    assert resumed.stdout.startswith("hourly: resumed, next fire ")
    with pytest.raises(UsageError, match="%interlace schedule has no action 'trig'. Did you mean 'trigger'?"):
        shell.run_line_magic("interlace", "schedule trig hourly")
    with pytest.raises(UsageError, match="%interlace schedule trigger needs a schedule NAME"):
        shell.run_line_magic("interlace", "schedule trigger")
    with pytest.raises(UnknownScheduleError, match="no schedule named 'hourli'. Did you mean 'hourly'?"):
        shell.run_line_magic("interlace", "schedule status hourli")
