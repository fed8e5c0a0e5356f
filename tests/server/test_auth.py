"""Every route of the app — enumerated from its route table — rejects a missing or wrong key and
enforces scopes. New routes are covered without touching this file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interlace.keys import SCOPES
from interlace.server.api.auth import required_scope, route_table
from tests.server.conftest import Live, start_live

PUBLIC = {"/health", "/login", "/favicon.ico"}
SAMPLE = {"name": "orders", "run_id": "0123456789ab", "path": "x.js"}
WRONG_KEY = "ilk_000000000000_" + "x" * 43


@pytest.fixture(scope="module")
def full_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The shop project served with everything mounted: API, docs, login and the dashboard."""
    import shutil

    from tests.conftest import SHOP

    project = tmp_path_factory.mktemp("auth") / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    # these tests send hundreds of bad keys on purpose: lift the per-address limit on failures
    # (tests/security/test_availability.py checks that limit)
    with (project / "config.yaml").open("a") as config:
        config.write("service:\n  rate_limit: {failed_auth_burst: 100000}\n")
    live = start_live(project, dashboard=True)
    yield live
    live.server.stop()
    live.workspace.close()


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


def _endpoints(live: Live) -> list[tuple[str, str, str]]:
    """(method, concrete path, required scope) for every HTTP route and mount of the app."""
    out = []
    for entry in route_table(live.server.server.config.app):
        if entry.kind == "websocket":
            continue
        if entry.kind == "mount":
            out.append(("GET", entry.path + "/probe.js", "read"))
            continue
        out += [(method, _concrete(entry.path), entry.scope) for method in sorted(entry.methods - {"HEAD"})]
    return out


def _call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    # bodies that never trigger work: an unknown model, or empty (rejected by validation)
    body = {"select": ["no_such_model"]} if path.endswith(("/runs", "/plan")) else {}
    request = client.build_request(method, path, json=body if method in ("POST", "PUT", "PATCH") else None)
    response = client.send(request, stream=True)  # an event stream never ends: read the status only
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        response.close()
    else:
        response.read()
    return response


def test_route_table_is_enumerated(full_app: Live) -> None:
    app = full_app.server.server.config.app
    table = route_table(app)
    documented = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    listed = {(method, entry.path) for entry in table for method in entry.methods}
    assert documented <= listed  # every documented operation is guarded (and tested below)
    assert any(e.kind == "websocket" and e.path == "/dashboard/ws" for e in table)
    paths = {path for _, path, _ in _endpoints(full_app)}
    # the groups the issue names are all there (so an empty table cannot pass the test below)
    for expected in ("/api/v1/models", "/api/v1/runs", "/api/v1/events", "/api/v1/graph", "/api/v1/plan",
                     "/api/openapi.json", "/api/docs", "/dashboard", "/static/probe.js"):
        assert expected in paths


def test_every_route_rejects_a_missing_or_wrong_key(full_app: Live) -> None:
    checked = 0
    with httpx.Client(base_url=full_app.url, headers={"Accept": "application/json"}) as anon, \
            httpx.Client(base_url=full_app.url, headers={"Accept": "application/json",
                                                         "Authorization": f"Bearer {WRONG_KEY}"}) as wrong, \
            httpx.Client(base_url=full_app.url, headers={"Accept": "application/json",
                                                         "X-API-Key": "not-a-key"}) as garbage:
        for method, path, _ in _endpoints(full_app):
            if path in PUBLIC:
                continue
            for client, reason in ((anon, "missing"), (wrong, "unknown key"), (garbage, "malformed key")):
                response = _call(client, method, path)
                assert response.status_code == 401, (method, path, reason, response.text)
                error = response.json()["error"]
                assert error["code"] == "UNAUTHORIZED"
                assert error["request_id"] == response.headers["x-request-id"]
                checked += 1
    assert checked > 60


def test_every_route_enforces_its_scope(full_app: Live) -> None:
    for method, path, needed in _endpoints(full_app):
        if path in PUBLIC:
            continue
        for scope in SCOPES:
            with full_app.client(scope, headers={"Accept": "application/json"}) as client:
                response = _call(client, method, path)
            allowed = SCOPES.index(scope) >= SCOPES.index(needed)
            if allowed:
                assert response.status_code not in (401, 403), (method, path, scope, response.text)
            else:
                assert response.status_code == 403, (method, path, scope, response.text)
                body = response.json()["error"]
                assert body["code"] == "FORBIDDEN"
                assert body["details"] == {"required_scope": needed, "key_scope": scope}


def test_api_routes_declare_a_scope_and_writes_need_more_than_read(full_app: Live) -> None:
    app = full_app.server.server.config.app
    for prefix, route in app.state.included:
        if prefix + route.path in PUBLIC:
            continue
        assert "x-required-scope" in (route.openapi_extra or {}), prefix + route.path
        # /plan writes nothing; a stream's own auth raises publish/consume to its configured scope
        # (streams.<name>.auth, default publish 'run': tests/streams/test_api.py)
        if route.methods & {"POST", "DELETE"} and route.path != "/plan" \
                and not route.path.startswith("/streams/"):
            assert required_scope(route) in ("run", "admin"), prefix + route.path


def test_public_paths_answer_without_a_key(full_app: Live) -> None:
    assert httpx.get(full_app.url + "/health").json() == {"status": "ok", "version": "0.1.0", "config": "ok",
                                                          "breakers_open": []}
    assert httpx.get(full_app.url + "/login").status_code == 200


def test_browser_without_a_session_is_sent_to_the_login_page(full_app: Live) -> None:
    response = httpx.get(full_app.url + "/dashboard?model=orders", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard%3Fmodel%3Dorders"


def test_dashboard_websocket_needs_a_session(full_app: Live) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = full_app.url.replace("http://", "ws://") + "/dashboard/ws"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=full_app.url, open_timeout=10)
    assert refused.value.response.status_code == 403


def test_login_sets_a_session_cookie_that_reads_but_never_writes(full_app: Live) -> None:
    with httpx.Client(base_url=full_app.url) as browser:
        bad = browser.post("/login", data={"key": WRONG_KEY, "next": "/dashboard"})
        assert bad.status_code == 401 and "not valid" in bad.text
        ok = browser.post("/login", data={"key": full_app.keys["admin"], "next": "https://evil.example/x"})
        assert ok.status_code == 303
        assert ok.headers["location"] == "/dashboard"  # never redirected off-site
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert browser.get("/api/v1/models").status_code == 200
        assert browser.get("/api/docs").status_code == 200
        # a cookie never authorizes a write: a cross-site form cannot start a run
        refused = browser.post("/api/v1/runs", json={})
        assert refused.status_code == 401
        browser.get("/logout")
        assert browser.get("/api/v1/models", headers={"Accept": "application/json"}).status_code == 401


def test_a_revoked_key_is_refused_at_once(shop_live: Live) -> None:
    with shop_live.client("admin") as admin:
        created = admin.post("/api/v1/keys", json={"name": "temp", "scope": "read"})
        assert created.status_code == 201
        key = created.json()["key"]
        assert key.startswith("ilk_")
        with httpx.Client(base_url=shop_live.url, headers={"X-API-Key": key}) as temp:
            assert temp.get("/api/v1/models").status_code == 200
            assert admin.delete("/api/v1/keys/temp").status_code == 204
            assert temp.get("/api/v1/models").status_code == 401
        assert admin.delete("/api/v1/keys/temp").json()["error"]["code"] == "KEY_NOT_FOUND"
        names = [k["name"] for k in admin.get("/api/v1/keys").json()["keys"]]
        assert "temp" not in names and "test-admin" in names


def test_keys_from_environment_variables(live_factory, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOP_CI_KEY", "ci-key-from-the-environment-0123456789")
    config = ("name: shop\nservice:\n  auth:\n    keys:\n"
              "      - {name: ci, env: SHOP_CI_KEY, scope: run}\n")
    live = live_factory(config=config)
    with httpx.Client(base_url=live.url, headers={"X-API-Key": "ci-key-from-the-environment-0123456789"}) as ci:
        assert ci.get("/api/v1/models").status_code == 200
        assert ci.get("/api/v1/keys").status_code == 403  # run scope, not admin
    with httpx.Client(base_url=live.url, headers={"X-API-Key": "ci-key-from-the-environment-012345678"}) as near:
        assert near.get("/api/v1/models").status_code == 401


def test_a_missing_key_variable_is_a_config_error(tmp_path: Path) -> None:
    from interlace.config import AuthConfig
    from interlace.errors import ConfigError
    from interlace.keys import KeyRing

    auth = AuthConfig.model_validate({"keys": [{"name": "ci", "env": "INTERLACE_TEST_UNSET_KEY", "scope": "run"}]})
    with pytest.raises(ConfigError) as missing:
        KeyRing(auth, None)
    assert str(missing.value) == (
        "service.auth.keys: key 'ci' reads $INTERLACE_TEST_UNSET_KEY, which is not set\n"
        "Fix: export INTERLACE_TEST_UNSET_KEY=<key> before starting the server, or remove the entry")


def test_auth_disabled_only_by_explicit_config_and_warns(live_factory, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level("WARNING", logger="interlace.server"):
        live = live_factory(config="name: shop\nservice:\n  auth:\n    enabled: false\n")
    assert "accept requests WITHOUT a key" in caplog.text
    assert httpx.get(live.url + "/api/v1/keys").status_code == 200


def test_cors_allows_only_configured_origins(live_factory) -> None:  # type: ignore[no-untyped-def]
    live = live_factory(config="name: shop\nservice:\n  cors:\n    origins: ['https://ok.example']\n")
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    ok = httpx.options(live.url + "/api/v1/models", headers={"Origin": "https://ok.example", **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://ok.example"
    assert "access-control-allow-credentials" not in ok.headers
    evil = httpx.options(live.url + "/api/v1/models", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers
