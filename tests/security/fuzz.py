"""schemathesis against the whole server: the API plus the login, logout, dashboard and component
routes (which the served OpenAPI document leaves out), with links for the stateful phase.

Used by tests/security/test_fuzz.py (bounded, in the suite) and bench/security_fuzz.py (>= 200
examples per operation). The fuzzer's key is an admin key from an environment variable, which the
API cannot revoke, so key-revoking sequences cannot lock the fuzzer out half way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import interlace
from interlace.server.app import start_in_thread
from tests.conftest import SHOP

FUZZ_KEY_ENV = "INTERLACE_FUZZ_KEY"
FUZZ_CONFIG = """name: shop
run:
  max_workers: 2
service:
  auth:
    keys: [{name: fuzzer, env: INTERLACE_FUZZ_KEY, scope: admin}]
  rate_limit: {rate: 100000, burst: 100000, failed_auth_burst: 100000}
"""
EXCLUDED = "/api/v1/events"  # never ends; covered by tests/server/test_events.py and test_dashboard_actions.py
CONFIG = Path(__file__).with_name("schemathesis.toml")

_HTML = {"text/html": {"schema": {"type": "string"}}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_REDIRECT = {"description": "redirect", "headers": {"location": {"schema": {"type": "string"}}}}
_AUTH = [{"bearer": []}, {"apiKey": []}]


def _page_routes() -> dict[str, Any]:
    text = {"type": "string"}  # the server bounds none of these: an over-long `next` falls back to /dashboard
    return {
        "/login": {
            "get": {"operationId": "login_form", "parameters": [{"name": "next", "in": "query", "schema": text}],
                    "responses": {"200": {"description": "the form", "content": _HTML}}},
            "post": {
                "operationId": "login",
                "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                    "type": "object", "properties": {"key": text, "next": text}}}}},
                "responses": {"303": _REDIRECT, "400": {"description": "not the form", "content": _HTML},
                              "401": {"description": "bad key", "content": _HTML},
                              "429": {"description": "too many failures", "content": _HTML}}},
        },
        "/logout": {"get": {"operationId": "logout", "responses": {"303": _REDIRECT}}},
        "/dashboard": {"get": {
            "operationId": "dashboard", "security": _AUTH,
            "parameters": [{"name": "model", "in": "query", "schema": text},
                           {"name": "bokeh_session_id", "in": "query", "schema": text}],
            "responses": {"200": {"description": "the page", "content": _HTML},
                          "400": {"description": "a client-chosen session id", "content": _ERROR},
                          "401": {"description": "no key", "content": _ERROR},
                          "429": {"description": "rate limited", "content": _ERROR}}}},
        "/components/{module}/{component}/{rtype}/{file}": {"get": {
            "operationId": "component_resource", "security": _AUTH,
            "parameters": [{"name": n, "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[^/]+$"}}
                           for n in ("module", "component", "rtype", "file")],
            "responses": {"200": {"description": "a resource file"},
                          "400": {"description": "not a resource", "content": _ERROR},
                          "404": {"description": "no such resource", "content": _ERROR},
                          "401": {"description": "no key", "content": _ERROR}}}},
    }


_LINKS = {  # (path, method, status) -> links for the stateful phase
    ("/api/v1/runs", "post", "202"): {
        "GetRun": {"operationId": "get_run_api_v1_runs__run_id__get", "parameters": {"run_id": "$response.body#/run_id"}},
        "CancelRun": {"operationId": "cancel_run_api_v1_runs__run_id__cancel_post",
                      "parameters": {"run_id": "$response.body#/run_id"}},
        "RunModels": {"operationId": "run_models_api_v1_runs__run_id__models_get",
                      "parameters": {"run_id": "$response.body#/run_id"}}},
    ("/api/v1/keys", "post", "201"): {
        "RevokeKey": {"operationId": "revoke_api_v1_keys__name__delete", "parameters": {"name": "$response.body#/name"}}},
}


def whole_server_schema(url: str, key: str) -> dict[str, Any]:
    """The served OpenAPI document plus the page routes and links."""
    doc: dict[str, Any] = httpx.get(url + "/api/openapi.json", headers={"X-API-Key": key}, timeout=30).json()
    operation_ids = {op.get("operationId") for item in doc["paths"].values() for op in item.values()}
    for (path, method, status), links in _LINKS.items():
        missing = {link["operationId"] for link in links.values()} - operation_ids
        assert not missing, f"links name operations the document does not have: {missing}"
        doc["paths"][path][method]["responses"][status]["links"] = links
    doc["paths"].update(_page_routes())
    return doc


@dataclass
class FuzzResult:
    returncode: int
    output: str
    generated: int
    passed: int
    operations: int


def run_fuzzer(workdir: Path, *, max_examples: int, seed: int = 20261201, timeout: float = 3600) -> FuzzResult:
    """Start a server over a copy of the shop project and fuzz it; the server is stopped after."""
    project = workdir / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns(".interlace", "__pycache__"))
    (project / "config.yaml").write_text(FUZZ_CONFIG)
    key = "fuzz-" + os.urandom(16).hex()
    os.environ[FUZZ_KEY_ENV] = key
    ws = interlace.open(project)
    try:
        ws.run()  # built tables, so previews and histories have real data
        server = start_in_thread(ws, "127.0.0.1", 0, dashboard=True)
        try:
            schema = workdir / "whole-server.json"
            schema.write_text(json.dumps(whole_server_schema(server.url, key)))
            result = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(schema),
                 "--url", server.url, "--checks", "all", "--max-examples", str(max_examples), "--seed", str(seed),
                 "--workers", "1", "--exclude-path", EXCLUDED, "--request-timeout", "60",
                 "--generation-deterministic", "-H", f"Authorization: Bearer {key}",
                 "--report", "junit", "--report-dir", str(workdir / "report")],
                capture_output=True, text=True, timeout=timeout, cwd=workdir)
        finally:
            server.stop()
    finally:
        ws.close()
        os.environ.pop(FUZZ_KEY_ENV, None)
    output = result.stdout + result.stderr
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    tested = re.search(r"Tested: (\d+)", output)
    return FuzzResult(result.returncode, output, int(counts.group(1)) if counts else 0,
                      int(counts.group(2)) if counts else 0, int(tested.group(1)) if tested else 0)
