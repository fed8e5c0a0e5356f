"""binder/: the environment its files describe, built in a clean virtualenv from a copy of this
checkout with no Node.js on the PATH, has the JupyterLab extension installed and enabled (it is
prebuilt inside the package) and runs the quickstart under nbval.

pip's cache is the user's (as `make test`'s own install fills it), so this costs installs, not
downloads."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# installing JupyterLab and the package's dependencies into a new virtualenv takes minutes on a
# loaded machine (the suite's default limit is 300 s)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def checkout_copy(target: Path) -> Path:
    """The files of this checkout git would commit (tracked, and new ones not ignored)."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_binder_environment_without_node_has_the_extension_and_runs_the_quickstart(tmp_path: Path) -> None:
    repo = checkout_copy(tmp_path / "repo")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    tools = tmp_path / "tools"  # a PATH with bash and git, and no node or npm
    tools.mkdir()
    for tool in ("bash", "git"):
        (tools / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    path = f"{venv / 'bin'}:{tools}"
    assert shutil.which("node", path=path) is None and shutil.which("npm", path=path) is None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "JUPYTER"))}
    env |= {"PATH": path, "HOME": os.environ.get("HOME", str(tmp_path)), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data")}

    run(["python", "-m", "pip", "install", "-q", "-r", "binder/requirements.txt", "nbval", "pytest"], cwd=repo, env=env)
    run(["bash", "binder/postBuild"], cwd=repo, env=env)

    listed = re.sub(r"\x1b\[[0-9;]*m", "", run(["jupyter", "labextension", "list"], cwd=repo, env=env))
    assert "interlace-jupyterlab v0.1.0 enabled OK (python, interlace)" in listed, listed
    static = venv / "share/jupyter/labextensions/interlace-jupyterlab/static"
    assert sorted(p.name for p in static.iterdir()) == sorted(
        p.name for p in (ROOT / "interlace/labextension/static").iterdir())

    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = run(["python", "-m", "pytest", "-q", "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider",
               "--nbval-lax", "--nbval-current-env", "notebooks/01-quickstart.ipynb"], cwd=repo, env=env)
    assert re.search(r"\b\d+ passed\b", out) and "failed" not in out, out
