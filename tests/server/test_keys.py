"""``interlace keys create|list|revoke`` in a subprocess: the key is printed once, only its hash is kept."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from interlace.config import AuthConfig
from interlace.keys import KeyRing, generate_key, has_scope
from tests.conftest import run_cli, write_files


def test_create_list_revoke(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"config.yaml": "name: p\n"})
    created = run_cli("keys", "create", "ci", "--scope", "run", "-d", str(project))
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("ilk_") and len(key) > 50
    assert created.stderr.strip() == "Created key 'ci' (scope run). Copy it now: it is not shown again."
    again = run_cli("keys", "create", "ci", "-d", str(project))
    assert again.returncode == 2
    assert again.stderr.strip() == ("Error: an active API key is already named 'ci'\n"
                                    "Fix: choose another name, or revoke it first: interlace keys revoke ci")
    listed = json.loads(run_cli("keys", "list", "--json", "-d", str(project)).stdout)
    assert [(k["name"], k["scope"], k["revoked_at"]) for k in listed] == [("ci", "run", None)]
    assert key not in run_cli("keys", "list", "-d", str(project)).stdout
    con = duckdb.connect(str(project / ".interlace/dev.duckdb"), read_only=True)
    stored = con.execute("SELECT * FROM interlace.api_keys").fetchall()
    con.close()
    assert stored[0][3] == hashlib.sha256(key.encode()).hexdigest()
    assert not any(key in str(value) for value in stored[0])  # the key itself is nowhere
    revoked = run_cli("keys", "revoke", "ci", "-d", str(project))
    assert revoked.returncode == 0 and revoked.stdout.strip() == "Revoked key 'ci'."
    assert json.loads(run_cli("keys", "list", "--json", "-d", str(project)).stdout) == []
    missing = run_cli("keys", "revoke", "ci", "-d", str(project))
    assert missing.stderr.strip() == "Error: no active key named 'ci'\nFix: there are no active keys"


def test_scopes_are_ordered() -> None:
    assert has_scope("admin", "run") and has_scope("run", "read") and not has_scope("read", "run")


def test_bad_names_and_scopes_are_refused() -> None:
    from interlace.errors import ConfigError

    with pytest.raises(ConfigError) as bad:
        generate_key("has space", "read")
    assert str(bad.value) == ("'has space' is not a valid key name\n"
                              "Fix: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    with pytest.raises(ConfigError) as scope:
        generate_key("ok", "root")
    assert str(scope.value) == "unknown scope 'root'\nFix: use one of: read, run, admin"


def test_short_environment_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlace.errors import ConfigError

    monkeypatch.setenv("WEAK_KEY", "secret")
    auth = AuthConfig.model_validate({"keys": [{"name": "weak", "env": "WEAK_KEY"}]})
    with pytest.raises(ConfigError) as weak:
        KeyRing(auth, None)
    assert "is 6 characters long; a key needs at least 24" in str(weak.value)


def test_keys_command_does_not_import_the_web_stack() -> None:
    from tests.test_imports import loaded_after

    modules = loaded_after("import interlace.cli.keys, interlace.keys")
    assert not {m for m in modules if m.split(".")[0] in ("fastapi", "panel", "bokeh", "uvicorn", "starlette")}
