from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import interlace

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write a project from {relative path: text}; returns its directory."""

    def make(files: dict[str, str]) -> Path:
        return write_files(tmp_path / "project", files)

    (tmp_path / "project").mkdir()
    return make


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A fresh copy of examples/shop (without any built warehouse)."""
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    return target


@pytest.fixture
def open_ws() -> Iterator[Callable[..., interlace.Workspace]]:
    """Open workspaces that are closed at the end of the test."""
    opened: list[interlace.Workspace] = []

    def open_(path: Path, env: str | None = None) -> interlace.Workspace:
        ws = interlace.open(path, env)
        opened.append(ws)
        return ws

    yield open_
    for ws in opened:
        ws.close()


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real `interlace` command in a subprocess."""
    import os

    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "interlace", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
