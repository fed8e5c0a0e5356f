"""`interlace docs serve` (a real process on 127.0.0.1: pages, the build number, a rebuild on change)
and `%interlace docs` in an IPython shell; the CLI and the magic share DocsOptions."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

from interlace.cli.params import build_options
from interlace.magics.args import parse
from interlace.magics.commands import InterlaceMagics
from interlace.options import DocsOptions
from tests.conftest import write_files
from tests.magics.conftest import run_capturing
from tests.magics.test_options import CLI_ONLY, sample_argv

MODEL = '-- @model(description="{text}", columns={{"x": "The x."}})\nSELECT 1 AS x\n'


def _wait(predicate, timeout: float = 60.0):  # noqa: ANN001, ANN202 - a small poll helper
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_docs_serve_serves_the_site_and_rebuilds_on_change(tmp_path: Path) -> None:
    root = write_files(tmp_path / "proj", {"config.yaml": "name: served\n",
                                          "models/a.sql": MODEL.format(text="First words.")})
    process = subprocess.Popen(
        [sys.executable, "-m", "interlace", "docs", "serve", "--project-dir", str(root), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "300", "NO_COLOR": "1"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)/index\.html", line).group(1)
        page = httpx.get(f"{url}/models/a.html")
        assert page.status_code == 200
        soup = BeautifulSoup(page.text, "html.parser")
        assert soup.select_one(".il-description").text == "First words."
        assert "/__interlace_build" in soup.select("script")[-1].text  # the live-reload script
        build = httpx.get(f"{url}/__interlace_build").json()["build"]
        (root / "models" / "a.sql").write_text(MODEL.format(text="Second words."))
        _wait(lambda: httpx.get(f"{url}/__interlace_build").json()["build"] > build)
        page = httpx.get(f"{url}/models/a.html")
        assert BeautifulSoup(page.text, "html.parser").select_one(".il-description").text == "Second words."
        # the warehouse is not held between builds: another process can run
        done = subprocess.run([sys.executable, "-m", "interlace", "run", "--project-dir", str(root)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_docs_cli_and_magic_map_to_the_same_fields() -> None:
    from interlace.cli import docs  # noqa: F401 - registers the commands
    from interlace.cli.main import cli

    click_command = cli.commands["docs"].commands["build"]
    magic = InterlaceMagics.docs
    fields = {f.name for f in dataclasses.fields(DocsOptions)}
    assert {p.name for p in click_command.params} - CLI_ONLY == fields
    assert {a.dest for a in magic.parser._actions} - {"help"} == fields
    argv = sample_argv(DocsOptions)
    from_cli = build_options(DocsOptions, click_command.make_context("build", list(argv)).params)
    assert from_cli == parse(magic, " ".join(argv))


def test_the_docs_magic_builds_and_links_the_site(shell, project: Path) -> None:  # noqa: ANN001
    write_files(project, {"models/a.sql": MODEL.format(text="From a notebook.")})
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "docs --out built"))
    [output] = captured.outputs
    link = BeautifulSoup(output.data["text/html"], "html.parser").select_one("a")
    index = project / "built" / "index.html"
    assert link["href"] == index.as_uri() and link.text == str(index)
    assert output.data["text/plain"].startswith("Docs: 1 model pages, 0 notebook pages, built in ")
    assert index.is_file() and (project / "built" / "models" / "a.html").is_file()
