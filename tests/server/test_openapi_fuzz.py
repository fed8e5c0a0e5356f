"""schemathesis fuzzes the live server on 127.0.0.1 against its own OpenAPI document.

Bounded (a fixed number of examples per operation, a fixed seed). Any 500 or any response that
violates the document (status code, content type, body schema, headers) fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHOP
from tests.server.conftest import start_live

FUZZ_CONFIG = "name: shop\nrun:\n  max_workers: 2\nservice:\n  rate_limit: {rate: 100000, burst: 100000}\n"
# the event stream never ends, so a request/response fuzzer cannot read it; tests/server/test_events.py covers it
EXCLUDED = "/api/v1/events"


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_or_schema_violations(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    (project / "config.yaml").write_text(FUZZ_CONFIG)
    live = start_live(project)
    try:
        live.workspace.run()  # built tables, so previews and histories have real data
        report = tmp_path / "report"
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
             "run", f"{live.url}/api/openapi.json",
             "--checks", "all", "--max-examples", "25", "--seed", "20261126", "--workers", "1",
             "--exclude-path", EXCLUDED, "--request-timeout", "30", "--generation-deterministic",
             "-H", f"Authorization: Bearer {live.keys['admin']}",
             "--report", "junit", "--report-dir", str(report)],
            capture_output=True, text=True, timeout=1200, cwd=tmp_path,  # its cache stays out of the repo
        )
    finally:
        live.server.stop()
        live.workspace.close()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    # every generated case passed every check (schemathesis prints e.g. "1435 generated, 1435 passed")
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts is not None and counts.group(1) == counts.group(2) and int(counts.group(1)) > 500, output[-5000:]
    assert "Failures:" not in output
    tested = re.search(r"Tested: (\d+)", output)
    assert tested is not None and int(tested.group(1)) >= 20
