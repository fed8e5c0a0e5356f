"""The outer shell of every request, before authentication: hosts, origins, sizes, headers.

``DashboardFilter`` (inside the guard) refuses client-chosen dashboard session ids and component
resources of modules that are not loaded. ``SecurityMiddleware`` (plain ASGI, outside :class:`~interlace.server.api.auth.GuardMiddleware`):

* **Host**: answers ``400 UNTRUSTED_HOST`` unless the ``Host`` header is one of the server's own
  names (``service.trusted_hosts`` plus the address it listens on, ``localhost`` and
  ``127.0.0.1``), so nothing reflects a forged host and DNS rebinding finds a closed door;
* **Origin**: a websocket whose ``Origin`` is neither this server nor one of ``service.cors.origins``
  is refused (a browser always sends one; ``null`` is refused);
* **Body size**: a request body over ``service.max_body_bytes`` gets ``413 PAYLOAD_TOO_LARGE``
  (from ``Content-Length`` at once, or as soon as a chunked body grows past it);
* **Headers**: ``X-Frame-Options: DENY``, ``Content-Security-Policy: frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy`` on every response, and
  ``Cache-Control: no-store`` on the dashboard (its page carries a session token).
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["DashboardFilter", "SecurityMiddleware", "allowed_hosts"]

log = logging.getLogger("interlace.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COMPONENTS = "/components/"
COMPONENT_PACKAGES = frozenset({"panel", "bokeh", "interlace", "panel_material_ui"})
_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_WILDCARD = {"0.0.0.0", "::", ""}


def allowed_hosts(host: str, port: int, trusted: Iterable[str]) -> frozenset[str] | None:
    """The ``Host`` values this server answers to; None (any) when bound to every interface
    without ``service.trusted_hosts`` (the caller warns about it)."""
    names = {t.lower() for t in trusted}
    if host in _WILDCARD and not names:
        return None
    names |= {"localhost", "127.0.0.1", "[::1]"}
    if host not in _WILDCARD:
        names.add(f"[{host.lower()}]" if ":" in host else host.lower())
    return frozenset(names | {f"{n}:{port}" for n in names})


class SecurityMiddleware:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, hosts: Callable[[], frozenset[str] | None], cors_origins: Iterable[str],
                 max_body_bytes: int, dashboard_path: str | None) -> None:
        self.app = app
        self._hosts = hosts
        self._cors = frozenset(urlsplit(o).netloc.lower() for o in cors_origins)
        self._max_body = max_body_bytes
        self._dashboard = dashboard_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        hosts = self._hosts()
        if hosts is not None and host not in hosts:
            await _refuse(scope, send, 400, "UNTRUSTED_HOST",
                          f"this server does not answer to the host '{host[:100]}'",
                          {"hint": "use the address the server listens on, or add the name to "
                                   "service.trusted_hosts"})
            return
        if kind == "websocket":
            origin = headers.get("origin")
            if origin is not None and not self._origin_ok(origin, host):
                log.warning("refused a websocket to %s from Origin %r", scope.get("path"), origin[:100])
                await send({"type": "websocket.close", "code": 1008, "reason": "ORIGIN_NOT_ALLOWED"})
                return
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        refusal = self._refusal(scope, headers, path)
        if refusal is not None:
            await _refuse(scope, send, *refusal)
            return
        await self._serve(scope, receive, send, path)

    def _origin_ok(self, origin: str, host: str) -> bool:
        netloc = urlsplit(origin).netloc.lower()
        return bool(netloc) and (netloc == host or netloc in self._cors)

    def _refusal(self, scope: Scope, headers: dict[str, str], path: str) -> tuple[int, str, str, Any] | None:
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self._max_body):
            return (413, "PAYLOAD_TOO_LARGE", f"the request body is {length[:20]} bytes; this server accepts at "
                    f"most {self._max_body} (service.max_body_bytes)", None)
        return None

    async def _serve(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        received = 0
        started = False
        too_large = False
        no_store = self._dashboard is not None and (path.rstrip("/") == self._dashboard)

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_body:
                    too_large = True
                    return {"type": "http.disconnect"}  # the app stops reading; we answer 413 below
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if too_large:
                    return
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control" or not no_store]
                headers += _HEADERS
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            elif too_large:
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, secured_send)
        except Exception:
            if not (too_large and not started):
                raise
            # the app saw the body end early: answered below
        if too_large and not started:
            await _refuse(scope, send, 413, "PAYLOAD_TOO_LARGE",
                          f"the request body is larger than {self._max_body} bytes (service.max_body_bytes)", None)


class DashboardFilter:
    """Inside the guard (the request is authenticated): what the dashboard routes must not get.

    A client-chosen ``bokeh_session_id`` (session fixation), and ``/components/<module>/…`` for a
    module that is not loaded or not Panel's, Bokeh's or ours (Panel would import it). A Tornado
    ``HTTPError`` from Panel's handlers becomes its own 4xx status instead of a 500.
    """

    def __init__(self, app: ASGIApp, *, dashboard_path: str | None) -> None:
        self.app = app
        self._dashboard = dashboard_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        refusal = self._refusal(scope, path)
        if refusal is not None:
            await _refuse(scope, send, *refusal)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            status = getattr(exc, "status_code", None)  # tornado.web.HTTPError
            if started or not isinstance(status, int) or not 400 <= status < 500:
                raise
            await _refuse(scope, send, 404 if status == 404 else 400, "NOT_FOUND" if status == 404 else
                          "VALIDATION_ERROR", f"{path[:200]}: {getattr(exc, 'log_message', None) or 'not valid'}",
                          None)

    def _refusal(self, scope: Scope, path: str) -> tuple[int, str, str, Any] | None:
        if self._dashboard is not None and path.rstrip("/") == self._dashboard:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            headers = {k.decode("latin-1").lower() for k, _ in scope.get("headers", [])}
            if "bokeh-session-id" in headers or "bokeh_session_id" in query:
                return (400, "VALIDATION_ERROR", "the dashboard makes its own session ids: open "
                        f"{self._dashboard} without bokeh_session_id", None)
        if path.startswith(COMPONENTS):
            module = path[len(COMPONENTS):].split("/", 1)[0]
            if module.split(".")[0] not in COMPONENT_PACKAGES or module not in sys.modules:
                return (404, "NOT_FOUND", f"no component resources for module '{module[:100]}'", None)
        return None


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str, details: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": code})
        return
    request_id = scope.get("interlace.request_id") or secrets.token_hex(8)
    body = json.dumps({"error": {"code": code, "message": message, "details": details,
                                 "request_id": request_id}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"x-request-id", request_id.encode()), *_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
