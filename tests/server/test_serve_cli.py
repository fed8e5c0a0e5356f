"""``interlace serve`` as a user runs it: a real process on 127.0.0.1, stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_files


def _serve(project: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "interlace", "serve", "--no-dashboard", "--port", "0", "--log-level", "warning",
         "-d", str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    assert process.stdout is not None
    first = process.stdout.readline()  # "interlace serving NAME (ENV) at http://127.0.0.1:PORT"
    match = re.search(r"at (http://127\.0\.0\.1:\d+)$", first.strip())
    assert match, first + (process.stderr.read() if process.stderr else "")
    return process, match.group(1)


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not come up"
        time.sleep(0.1)


@pytest.mark.slow
def test_serve_answers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"config.yaml": "name: p\n", "models/one.sql": "SELECT 1 AS x\n"})
    process, url = _serve(project)
    try:
        _wait_healthy(url, process)
        assert httpx.get(url + "/api/v1/models").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "No API keys exist yet" in err and err.rstrip().endswith("Server stopped.")


@pytest.mark.slow
def test_serve_warns_when_auth_is_disabled(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"config.yaml": "name: p\nservice:\n  auth:\n    enabled: false\n"})
    process, url = _serve(project)
    try:
        _wait_healthy(url, process)
        assert httpx.get(url + "/api/v1/models").json() == {"total": 0, "models": []}
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert "WARNING: service.auth.enabled is false" in err
