"""A config edit that does not load, in a long-lived workspace: the last good config stays in use,
and the error shows on /health, /api/v1/health and the dashboard's overview."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

import interlace
from interlace.config import load_config
from interlace.errors import ConfigError
from interlace.server.app import start_in_thread
from interlace.server.dashboard.health import config_error_card


def _get(url: str, key: str | None = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as answer:
        data: dict[str, object] = json.loads(answer.read())
    return data


def test_a_bad_config_edit_keeps_the_last_good_one_and_is_reported(project: Path) -> None:
    config = project / "config.yaml"
    good = config.read_text()
    ws = interlace.open(project)
    key = ws.keys.create("health", "read").key
    server = start_in_thread(ws, "127.0.0.1", 0, dashboard=False)
    try:
        assert _get(f"{server.url}/health")["config"] == "ok"
        config.write_text(good.replace("max_workers: 4", "max_workers: many"))
        with pytest.raises(ConfigError) as expected:
            load_config(project)
        time.sleep(1.1)  # the workspace looks at the files at most once a second
        detail = _get(f"{server.url}/api/v1/health", key)
        assert detail["status"] == "degraded"
        assert detail["config_error"] == str(expected.value)
        assert _get(f"{server.url}/health") == {"status": "ok", "version": interlace.__version__,
                                                "config": "error", "breakers_open": []}
        assert ws.max_workers == 4  # the last good config
        assert [s.action for s in ws.plan().steps] == ["build", "build", "build"]  # the project still plans
        config.write_text(good.replace("max_workers: 4", "max_workers: 2"))
        time.sleep(1.1)
        fixed = _get(f"{server.url}/api/v1/health", key)
        assert (fixed["status"], fixed["config_error"]) == ("ok", None)
        assert ws.max_workers == 2
    finally:
        server.stop()
        ws.close()


def test_the_dashboard_shows_the_config_error() -> None:
    card = config_error_card("config.yaml: key 'run.max_workers' <must> be an integer")
    assert 'id="il-config-error"' in card
    assert "The configuration does not load" in card
    assert "key &#x27;run.max_workers&#x27; &lt;must&gt; be an integer" in card
    assert config_error_card(None) == ""
