"""``interlace stream ...``: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_files
from tests.streams.conftest import CONFIG, MODELS


def _cli(project: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interlace", *args, "-d", str(project)],
                          capture_output=True, text=True, input=stdin, timeout=120,
                          env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})


def test_stream_cli(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"config.yaml": CONFIG, **MODELS})
    published = _cli(project, "stream", "publish", "clicks", '[{"url": "/a"}, {"url": "/b"}]')
    assert published.returncode == 0, published.stderr
    assert "clicks: 2 stored (offsets 1-2), 0 duplicates, 0 dead-lettered" in published.stdout
    nd = _cli(project, "stream", "publish", "clicks", stdin='{"url": "/c"}\n{"url": "/d"}\n')
    assert "2 stored (offsets 3-4)" in nd.stdout, nd.stderr
    bad = _cli(project, "stream", "publish", "orders", '{"id": "x"}')
    assert bad.returncode == 2
    assert "field 'id': expected BIGINT, got VARCHAR \"x\"" in bad.stderr
    listed = _cli(project, "stream", "list", "--json")
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["clicks"]["events"] == 4 and rows["clicks"]["downstream"] == ["click_counts"]
    shown = _cli(project, "stream", "show", "clicks")
    assert "columns: _offset BIGINT, _event_id VARCHAR, _received_at TIMESTAMPTZ, _source VARCHAR, " \
           "url VARCHAR" in shown.stdout, shown.stdout
    tail = _cli(project, "stream", "tail", "clicks", "-n", "2")
    assert [json.loads(line)["url"] for line in tail.stdout.splitlines()] == ["/c", "/d"]
    replay = _cli(project, "stream", "replay", "clicks", "--consumer", "c", "--from", "3")
    assert "consumer c receives events from offset 3 again" in replay.stdout
    missing = _cli(project, "stream", "show", "clickz")
    assert missing.returncode == 2 and "no stream named 'clickz'" in missing.stderr
    assert "did you mean 'clicks'" in missing.stderr.lower() or "clicks" in missing.stderr
