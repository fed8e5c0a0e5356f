"""The red-team findings of issue 11, reproduced against a real server on 127.0.0.1.

Fixtures come from tests/server/conftest.py (a real ``start_in_thread`` server over a copy of a
project, one stored key per scope). Helpers here act like a browser without one: log in, read
the dashboard page and its Bokeh token, open the dashboard websocket.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx

from tests.server.conftest import SLOW_MODELS, Live, live_factory, shop_live  # noqa: F401 - fixtures

__all__ = ["SLOW_MODELS", "Live", "login", "page_token", "token_payload", "ws_connect", "ws_url"]

_TOKEN = re.compile(r'"token":\s*"([A-Za-z0-9_\-.]+)"')


def login(live: Live, scope: str) -> str:
    """Sign in with the key of ``scope`` like the login form does; returns the session cookie."""
    response = httpx.post(live.url + "/login", data={"key": live.keys[scope], "next": "/dashboard"})
    assert response.status_code == 303, response.text
    cookie = response.cookies.get("interlace_session")
    assert cookie
    return cookie


def page_token(live: Live, cookie: str) -> tuple[httpx.Response, str]:
    """GET /dashboard with a session cookie: the response and the Bokeh token in the page."""
    page = httpx.get(live.url + "/dashboard", cookies={"interlace_session": cookie}, timeout=60)
    assert page.status_code == 200, page.text[:2000]
    match = _TOKEN.search(page.text)
    assert match, page.text[:2000]
    return page, match.group(1)


def token_payload(token: str) -> dict[str, Any]:
    """What any script of the page can read from the token (its first, unsigned part)."""
    part = token.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if "__bk__zlib_" in data:
        import zlib

        packed = data.pop("__bk__zlib_")
        data.update(json.loads(zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))))
    return dict(data)


def ws_url(live: Live) -> str:
    return live.url.replace("http://", "ws://") + "/dashboard/ws"


def ws_connect(live: Live, token: str, *, cookie: str | None = None, origin: str | None = "own",
               headers: dict[str, str] | None = None) -> Any:
    """Open the dashboard websocket the way bokeh.js does (subprotocols ``bokeh, <token>``)."""
    from websockets.sync.client import connect

    extra = dict(headers or {})
    if cookie is not None:
        extra["Cookie"] = f"interlace_session={cookie}"
    return connect(ws_url(live), origin=live.url if origin == "own" else origin,  # type: ignore[arg-type]
                   subprotocols=["bokeh", token], additional_headers=extra, open_timeout=20,  # type: ignore[list-item]
                   max_size=None)
