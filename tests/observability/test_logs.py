"""``logging: {format, level}``: JSON lines from the real CLI and server, never a secret."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from interlace.config import load_config
from interlace.errors import ConfigError
from interlace.observability.logs import JsonFormatter, Redactor, configure_logging
from tests.conftest import run_cli, write_files
from tests.server.test_serve_cli import _wait_healthy

MODELS = {
    "models/numbers.sql": '-- @model(materialize="table", quality_checks=[{"not_null": "n"}])\n'
                          "SELECT range AS n FROM range(3)\n",
    "models/broken.sql": '-- @model(materialize="table")\nSELECT nope FROM numbers\n',
}


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    for line in lines:
        datetime.fromisoformat(str(line["timestamp"]))
        assert {"timestamp", "level", "logger", "message"} <= set(line)
    return lines


def test_cli_run_writes_json_lines(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {**MODELS, "config.yaml": "logging:\n  format: json\n  level: debug\n"})
    result = run_cli("run", "-d", str(project))
    assert result.returncode == 1, result.stderr
    lines = _json_lines(result.stderr)  # every line of stderr parses: nothing else is written there
    events = [line for line in lines if line["logger"] == "interlace.events"]
    run_id = events[0]["run_id"]
    assert [e["event"] for e in events if e.get("model") == "numbers"] == [
        "model.queued", "model.started", "check.finished", "model.finished"]
    assert all(e["run_id"] == run_id for e in events)
    failed = next(e for e in events if e["event"] == "model.failed")
    assert (failed["model"], failed["level"], failed["status"]) == ("broken", "WARNING", "failed")
    assert "nope" in str(failed["message"])
    assert events[-1]["event"] == "run.failed" and "model" not in events[-1]


def test_level_filters_and_text_is_the_default_format(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {**MODELS, "config.yaml": "logging:\n  level: warning\n"})
    result = run_cli("run", "-d", str(project))
    lines = [line for line in result.stderr.splitlines() if re.match(r"^\d{4}-\d\d-\d\d ", line)]
    assert len(lines) == 2, result.stderr  # the failed model and the failed run; no INFO lines
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING interlace\.events: model broken failed", lines[0])
    assert re.match(r"^\S+ \S+ WARNING interlace\.events: run [0-9a-f]+ failed: 1 succeeded, 1 failed, "
                    r"0 skipped in \d+\.\d\ds$", lines[1]), lines[1]


@pytest.mark.parametrize(("text", "message"), [
    ("logging:\n  format: xml\n", "key 'logging.format': Input should be 'text' or 'json' (got 'xml')"),
    ("logging:\n  level: loud\n",
     "key 'logging.level': Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL' (got 'LOUD')"),
    ("logging:\n  fmt: json\n", "unknown key 'logging.fmt' (valid keys here: format, level)"),
    ("observability:\n  otel:\n    endpoint: localhost:4318\n",
     "key 'observability.otel.endpoint': String should match pattern '^https?://\\S+$' (got 'localhost:4318')"),
])
def test_bad_logging_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.yaml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'config.yaml'}: {message}\n"
                                 "Fix: correct the key named above (see the configuration reference in README.md)")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_redactor_removes_keys_whoever_logs_them(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("json", "DEBUG", secrets=("s3cret-from-the-environment",), stream=stream)
    log = logging.getLogger("some.library")
    log.info("presented %s", "ilk_abc123_SECRETSECRETSECRET")
    log.warning("header was Bearer s3cret-from-the-environment")
    try:
        raise ValueError("bad key ilk_abc123_SECRETSECRETSECRET")
    except ValueError:
        log.exception("failed")
    lines = _json_lines(stream.getvalue())
    assert [line["message"] for line in lines] == [
        "presented ilk_abc123_[redacted]", "header was Bearer [redacted]", "failed"]
    assert "ilk_abc123_[redacted]" in str(lines[2]["exception"])
    assert "SECRETSECRET" not in stream.getvalue() and "s3cret" not in stream.getvalue()
    assert isinstance(JsonFormatter(), logging.Formatter) and isinstance(Redactor(), logging.Filter)


def test_server_logs_never_show_an_api_key(tmp_path: Path) -> None:
    env_key = "env-configured-key-value-0123456789"
    project = write_files(tmp_path / "p", {**MODELS, "config.yaml": (
        "logging: {format: json, level: debug}\n"
        "service:\n  auth:\n    keys: [{name: ops, env: OPS_KEY, scope: admin}]\n")})
    process = subprocess.Popen(
        [sys.executable, "-m", "interlace", "serve", "--no-dashboard", "--port", "0", "--log-level", "debug",
         "-d", str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "OPS_KEY": env_key})
    assert process.stdout is not None
    url = re.search(r"at (http://127\.0\.0\.1:\d+)$", process.stdout.readline().strip()).group(1)  # type: ignore[union-attr]
    created = ""
    try:
        _wait_healthy(url, process)
        ops = {"Authorization": f"Bearer {env_key}"}
        created = httpx.post(url + "/api/v1/keys", json={"name": "ci", "scope": "run"}, headers=ops).json()["key"]
        assert httpx.get(url + "/api/v1/models", headers={"X-API-Key": created}).status_code == 200
        assert httpx.get(url + "/api/v1/models", headers={"X-API-Key": created + "x"}).status_code == 401
        run_id = httpx.post(url + "/api/v1/runs", json={}, headers={"X-API-Key": created}).json()["run_id"]
        while httpx.get(f"{url}/api/v1/runs/{run_id}", headers=ops).json()["active"]:
            pass
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert created.startswith("ilk_")
    assert env_key not in err and created not in err and created.rsplit("_", 1)[1] not in err
    log_lines = [line for line in err.splitlines() if line.startswith("{")]
    lines = _json_lines("\n".join(log_lines))
    assert [line for line in err.splitlines() if line and not line.startswith("{")] == ["Server stopped."]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any("/api/v1/keys" in str(line["message"]) for line in access)
    assert {"run.started", "model.finished", "model.failed", "run.failed"} <= {str(line.get("event")) for line in lines}

