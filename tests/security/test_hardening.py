"""Finding 8 (lower): whitelist, component imports, user code exiting, SIGTERM, interrupted key
creation, security headers, trusted hosts, conflicting credentials, the last admin key."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import interlace
from interlace.errors import ConfigError
from interlace.keys import create_key
from interlace.server.app import start_in_thread
from tests.conftest import SHOP, write_files
from tests.security.conftest import Live

INTERLACE = str(Path(sys.executable).with_name("interlace"))


# -- whitelist -----------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["/", "/api/", "/api/v1/keys"])
def test_a_whitelist_that_opens_writes_is_refused(tmp_path: Path, entry: str) -> None:
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    (project / "config.yaml").write_text(f"name: shop\nservice:\n  auth:\n    whitelist: ['/health', '{entry}']\n")
    with interlace.open(project) as ws, pytest.raises(ConfigError) as refused:
        start_in_thread(ws, "127.0.0.1", 0, dashboard=False)
    text = str(refused.value)
    assert text.startswith(f"service.auth.whitelist: '{entry}' would let requests without "
                           "a key reach routes that need more than 'read': ")
    assert "POST /api/v1/keys (admin)" in text or entry != "/api/v1/keys"
    assert text.split("'read': ")[1].split(";")[0].endswith("(admin)")  # the worst route first
    assert text.endswith("Fix: whitelist only exact read-only paths such as /health (remove the entry, or name the "
                         "read-only paths it was meant for)")


def test_a_read_only_whitelist_entry_is_allowed_and_open(live_factory: Callable[..., Live]) -> None:
    live = live_factory(config="name: shop\nservice:\n  auth:\n    whitelist: ['/health', '/api/v1/project']\n")
    assert httpx.get(live.url + "/api/v1/project").status_code == 200
    assert httpx.post(live.url + "/api/v1/keys", json={"name": "x", "scope": "admin"}).status_code == 401


def test_a_login_form_with_too_many_fields_is_a_400_not_a_500(shop_live: Live) -> None:
    """Found by the whole-server fuzz (tests/security/test_fuzz.py)."""
    body = "&".join(f"f{i}=x" for i in range(20))
    response = httpx.post(shop_live.url + "/login", content=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert "The sign-in form was not valid: send only &#x27;key&#x27; and &#x27;next&#x27;." in response.text


# -- /components/<module> ------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/components/json/JSONDecoder/_stylesheets/x.css",
                                  "/components/antigravity/x/y/z",
                                  "/components/panel/NoSuchComponent/_stylesheets/x.css"])
def test_component_paths_never_import_or_fail(live_factory: Callable[..., Live], path: str) -> None:
    live = live_factory(dashboard=True)
    before = "antigravity" in sys.modules
    with live.client("read") as c:
        response = c.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert ("antigravity" in sys.modules) == before


# -- user code that calls sys.exit() --------------------------------------------------------------
EXITING = {"models/quits.py": "import sys\nsys.exit(3)\n", "models/ok.sql": "SELECT 1 AS x\n"}


def test_a_model_file_calling_sys_exit_is_a_model_error_in_the_api(live_factory: Callable[..., Live]) -> None:
    """It was a plain-text 500 on every endpoint; now the file is that model's error, the rest works."""
    live = live_factory(EXITING)
    with live.client("read") as c:
        assert c.get("/api/v1/models").status_code == 200
        steps = {s["model"]: s for s in c.get("/api/v1/plan").json()["steps"]}
        assert steps["quits"]["action"] == "error"
        assert steps["quits"]["reason"] == "cannot be built: models/quits.py:2: importing the file raised SystemExit: 3"
        assert steps["ok"]["action"] == "build"
        assert c.get("/health").status_code == 200


def test_a_model_file_calling_sys_exit_is_a_model_error_in_the_cli(tmp_path: Path) -> None:
    write_files(tmp_path, EXITING)
    result = subprocess.run([INTERLACE, "plan", "--project-dir", str(tmp_path)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "COLUMNS": "500", "NO_COLOR": "1"})
    assert result.returncode == 1, result.stdout + result.stderr  # was 3, silently
    assert "✗ models/quits.py:2: importing the file raised SystemExit: 3" in result.stdout
    assert "Fix: fix the error in the file (it runs when the project is loaded)" in result.stdout


# -- SIGTERM ---------------------------------------------------------------------------------------
def test_sigterm_closes_the_warehouse_and_says_so(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    with interlace.open(project) as ws:
        admin = create_key(ws.state, "admin", "admin").key
    server = subprocess.Popen([INTERLACE, "serve", "--project-dir", str(project), "--port", "0", "--no-dashboard",
                               "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        # a write leaves the warehouse with a write-ahead log until it is closed
        created = httpx.post(url + "/api/v1/keys", json={"name": "temp", "scope": "read"},
                             headers={"X-API-Key": admin}, timeout=60)
        assert created.status_code == 201
        assert (project / ".interlace" / "dev.duckdb.wal").exists()
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, err
    assert err.rstrip().endswith("Server stopped.")
    assert not (project / ".interlace" / "dev.duckdb.wal").exists()


# -- an interrupted `keys create` -------------------------------------------------------------------
def test_a_key_stored_but_never_shown_does_not_work(live_factory: Callable[..., Live]) -> None:
    live = live_factory()
    # what `interlace keys create` stores before it prints: a kill at that point leaves this row
    orphan = create_key(live.workspace.state, "orphan", "admin", confirmed=False)
    live.server.server.config.app.state.keyring.forget()
    assert httpx.get(live.url + "/api/v1/models", headers={"X-API-Key": orphan.key}).status_code == 401
    with live.client("admin") as admin:
        listed = {k["name"]: k for k in admin.get("/api/v1/keys").json()["keys"]}
        assert listed["orphan"]["confirmed"] is False
        again = admin.post("/api/v1/keys", json={"name": "orphan", "scope": "read"})  # the name is free
        assert again.status_code == 201
        assert httpx.get(live.url + "/api/v1/models", headers={"X-API-Key": again.json()["key"]}).status_code == 200


def test_keys_create_confirms_the_key_it_printed(tmp_path: Path) -> None:
    write_files(tmp_path, {"models/ok.sql": "SELECT 1 AS x\n"})
    result = subprocess.run([INTERLACE, "keys", "create", "ci", "--scope", "run", "--project-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    with interlace.open(tmp_path) as ws:
        rows = ws.state.api_keys()
        assert [(r.name, r.confirmed) for r in rows] == [("ci", True)]
        from interlace.config import AuthConfig
        from interlace.keys import KeyRing

        assert KeyRing(AuthConfig(), ws.keys).resolve(key) is not None
    listed = subprocess.run([INTERLACE, "keys", "list", "--project-dir", str(tmp_path)], capture_output=True,
                            text=True, timeout=120)
    assert "UNCONFIRMED" not in listed.stdout


# -- headers, hosts, credentials ----------------------------------------------------------------
def test_every_response_forbids_framing_and_sniffing(live_factory: Callable[..., Live]) -> None:
    live = live_factory(dashboard=True)
    for path in ("/health", "/login", "/api/v1/models", "/api/docs", "/dashboard"):
        with live.client("read") as c:
            response = c.get(path)
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'", path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_an_untrusted_host_is_refused_and_never_reflected(shop_live: Live) -> None:
    with shop_live.client("read", headers={"Host": "evil.example"}) as c:
        for path in ("/api/v1/models/", "/", "/health"):
            response = c.get(path, follow_redirects=False)
            assert response.status_code == 400, (path, response.text)
            assert response.json()["error"]["code"] == "UNTRUSTED_HOST"
            assert response.json()["error"]["message"] == "this server does not answer to the host 'evil.example'"
            assert "evil.example" not in response.headers.get("location", "")
    with shop_live.client("read") as c:
        response = c.get("/api/v1/models/", follow_redirects=False)
        assert "evil" not in response.headers.get("location", "")
        assert c.get("/api/v1/models").status_code == 200


def test_trusted_hosts_from_config_are_answered(live_factory: Callable[..., Live]) -> None:
    live = live_factory(config="name: shop\nservice:\n  trusted_hosts: [dash.internal]\n")
    with live.client("read", headers={"Host": "dash.internal"}) as c:
        assert c.get("/api/v1/models").status_code == 200


def test_two_different_keys_in_one_request_are_refused(shop_live: Live) -> None:
    headers = {"X-API-Key": shop_live.keys["read"], "Authorization": f"Bearer {shop_live.keys['admin']}"}
    response = httpx.get(shop_live.url + "/api/v1/keys", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == ("the request carries two different keys (X-API-Key and "
                                                   "Authorization): send one")
    same = {"X-API-Key": shop_live.keys["admin"], "Authorization": f"Bearer {shop_live.keys['admin']}"}
    assert httpx.get(shop_live.url + "/api/v1/keys", headers=same).status_code == 200


def test_the_last_admin_key_cannot_be_revoked(shop_live: Live) -> None:
    with shop_live.client("admin") as admin:
        response = admin.delete("/api/v1/keys/test-admin")
        assert response.status_code == 409
        assert response.json()["error"] == {
            "code": "LAST_ADMIN_KEY", "details": {"name": "test-admin"},
            "request_id": response.headers["x-request-id"],
            "message": "'test-admin' is the last admin key: revoking it would leave no key that can manage keys "
                       "through the API; create another admin key first (POST /api/v1/keys with scope admin, or "
                       "interlace keys create NAME --scope admin)"}
        assert admin.post("/api/v1/keys", json={"name": "second", "scope": "admin"}).status_code == 201
        assert admin.delete("/api/v1/keys/test-admin").status_code == 204
