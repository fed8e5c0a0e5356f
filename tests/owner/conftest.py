"""Real owners for the forwarding tests: `interlace serve` in a subprocess, on a project copy."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli

CLI_ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def owner_file(project: Path, env: str = "dev") -> Path:
    return project / ".interlace" / "owner" / f"{env}.json"


@contextlib.contextmanager
def serving(project: Path, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """`interlace serve` (API only, no scheduler) on ``project`` until the block ends; yields once
    its owner file is published."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlace",
            "serve",
            "--port",
            "0",
            "--no-dashboard",
            "--no-scheduler",
            "-d",
            str(project),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **CLI_ENV},
    )
    try:
        deadline = time.monotonic() + 90
        while not owner_file(project).exists():
            if process.poll() is not None:
                raise AssertionError(f"interlace serve ended: {process.stdout.read()}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise AssertionError("interlace serve never published its owner file")
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """`interlace init`'s project: a CSV seed, two SQL models and a Python model."""
    made = run_cli("init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return tmp_path / "demo"


def published(project: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(owner_file(project).read_text())
    return data


Cli = Callable[..., subprocess.CompletedProcess[str]]
