"""``%interlace stream ...``: the streams of the session's workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError

from tests.conftest import write_files
from tests.magics.conftest import html_tables, run_capturing
from tests.streams.conftest import CONFIG, MODELS


def test_stream_magic(shell, project: Path) -> None:  # type: ignore[no-untyped-def]
    write_files(project, {"config.yaml": CONFIG, **MODELS})
    out = run_capturing(lambda: shell.run_line_magic(
        "interlace", """stream publish clicks '[{"url": "/a"}, {"url": "/b"}]'"""))
    assert "clicks: 2 stored (offsets 1-2)" in out.stdout
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "stream tail clicks -n 1"))
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["clicks: last 1 events"]
    assert tables[0][0][-1] == "url" and tables[0][1][-1] == "/b"
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "stream list"))
    _, tables = html_tables(captured.outputs[0].data["text/html"])
    assert tables[0][1][:2] == ["clicks", "2"]
    with pytest.raises(UsageError, match="unknown action 'pubish'"):
        shell.run_line_magic("interlace", "stream pubish clicks")
    with pytest.raises(UsageError, match="the events are not JSON"):
        shell.run_line_magic("interlace", "stream publish clicks '{nope'")
