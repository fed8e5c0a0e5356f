"""The one gate in front of every route: request ids, authentication, scopes, rate limits.

``GuardMiddleware`` is plain ASGI so it guards HTTP requests, server-sent events and the
dashboard's websockets alike. For each request it:

1. gives it a request id (``X-Request-ID``, echoed on the response and in error bodies);
2. lets whitelisted paths through (default ``/health``) and the login page;
3. finds the principal: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, or — for the
   dashboard and read-only requests — the session cookie set by the login page (cookies never
   authorize an API write, so a cross-site form cannot start a run);
4. answers 401 ``UNAUTHORIZED`` without one (browsers asking for a page go to the login page);
5. finds the route the request will reach and its required scope; 403 ``FORBIDDEN`` if the
   principal lacks it;
6. spends a token from the principal's bucket; 429 ``RATE_LIMITED`` with ``Retry-After``.

Failed authentications (a bad key, a bad login) spend from a bucket per client address, so keys
cannot be guessed at speed. Websockets and the event stream are served through
:func:`interlace.server.sessions.watch`: their key is re-checked while they stay open, and a
dashboard websocket must come with the credential that created its session.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from starlette.routing import Mount, WebSocketRoute, compile_path

from interlace.config import AuthConfig
from interlace.keys import KeyRing, Principal
from interlace.server.api.errors import STATUS
from interlace.server.api.ratelimit import RateLimiter
from interlace.server.sessions import (
    ANONYMOUS,
    CURRENT_CREDENTIAL,
    Credential,
    DashboardSessions,
    session_id_of,
    watch,
)

__all__ = ["SESSION_COOKIE", "GuardMiddleware", "failed_authentication", "RouteEntry", "Sessions", "required_scope", "route_table"]

log = logging.getLogger("interlace.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "interlace_session"
LOGIN_PATH = "/login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Sessions:
    """Dashboard logins: an opaque random token in an HttpOnly cookie -> the key's principal.

    Only a hash of each token is kept (in memory: a restart logs everyone out).
    """

    def __init__(self, hours: float) -> None:
        self._ttl = hours * 3600
        self._sessions: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def create(self, principal: Principal) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v[0] > now}
            self._sessions[_digest(token)] = (now + self._ttl, principal)
        return token

    def resolve(self, token: str | None) -> Principal | None:
        if not token:
            return None
        digest = _digest(token)
        with self._lock:
            entry = self._sessions.get(digest)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return Principal(entry[1].name, entry[1].scope, "session")

    def end(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)

    def end_for(self, name: str) -> None:
        """End every session opened with the key called ``name`` (it was revoked)."""
        with self._lock:
            self._sessions = {k: v for k, v in self._sessions.items() if v[1].name != name}

    @property
    def max_age(self) -> int:
        return int(self._ttl)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def required_scope(route: Any) -> str:
    """The scope a route needs: declared with ``requires()`` on API routes; ``read`` elsewhere."""
    extra = getattr(route, "openapi_extra", None) or {}
    return str(extra.get("x-required-scope", "read"))


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """One route of the app as the guard sees it: full path, methods, kind and required scope."""

    path: str
    methods: frozenset[str]
    scope: str
    kind: str  # http | websocket | mount
    pattern: re.Pattern[str]

    def matches(self, path: str) -> bool:
        if self.kind == "mount":
            return path == self.path or path.startswith(self.path.rstrip("/") + "/")
        return self.pattern.match(path) is not None


def route_table(app: Any) -> list[RouteEntry]:
    """Every route of ``app``, flattened: its own routes plus those of the routers it included
    (recorded by ``create_app`` in ``app.state.included``, whatever FastAPI does internally)."""
    found: list[tuple[str, Any]] = [("", r) for r in app.router.routes if isinstance(getattr(r, "path", None), str)]
    found += list(getattr(app.state, "included", []))
    entries = []
    for prefix, route in found:
        path = prefix + route.path
        kind = "mount" if isinstance(route, Mount) else "websocket" if isinstance(route, WebSocketRoute) else "http"
        methods = frozenset(getattr(route, "methods", None) or ())
        entries.append(RouteEntry(path, methods, required_scope(route), kind, compile_path(path)[0]))
    return entries


class GuardMiddleware:
    """See the module docstring. ``app`` is the FastAPI app whose routes are matched for scopes."""

    def __init__(self, app: ASGIApp, *, routes_of: Callable[[], list[RouteEntry]], auth: AuthConfig,
                 keys: KeyRing, sessions: Sessions, limiter: RateLimiter | None,
                 bindings: DashboardSessions | None = None, failures: RateLimiter | None = None,
                 streams: tuple[str, ...] = ()) -> None:
        self.app = app
        self._bindings = bindings
        self._failures = failures or RateLimiter(1.0, 30)
        self._streams = streams  # long-lived HTTP paths (SSE, fnmatch patterns): watched like websockets
        self._routes_of = routes_of
        self._auth = auth
        self._keys = keys
        self._sessions = sessions
        self._limiter = limiter
        self._whitelist = tuple(auth.whitelist)
        self._routes: list[RouteEntry] | None = None  # read on the first request: all routes exist by then

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        request_id = headers.get("x-request-id", "")
        if not _REQUEST_ID.match(request_id):
            request_id = secrets.token_hex(8)
        scope["interlace.request_id"] = request_id
        send = _with_request_id(send, request_id)
        path = scope.get("path", "")
        if self._is_public(path):
            await self.app(scope, receive, send)
            return
        if not self._auth.enabled:
            scope["interlace.principal"] = ANONYMOUS
            CURRENT_CREDENTIAL.set(Credential("anonymous", ""))
            await self.app(scope, receive, send)
            return
        credential, conflict = _credential(scope, headers)
        if conflict:
            await _deny(scope, send, "UNAUTHORIZED", "the request carries two different keys (X-API-Key and "
                        "Authorization): send one", request_id, {"WWW-Authenticate": 'Bearer realm="interlace"'})
            return
        key = credential.secret if credential is not None and credential.kind == "key" else None
        if key is not None and self._keys.needs_lookup(key):
            # the store is read (once per key per few seconds): not on the event loop
            principal = await anyio.to_thread.run_sync(self._resolve, credential)
        else:
            principal = self._resolve(credential)
        presented = credential is not None and credential.kind == "key"
        if principal is None and presented:
            refusal = failed_authentication(self._failures, scope)
            if refusal is not None:
                await _deny(scope, send, "RATE_LIMITED", refusal[0], request_id, {"Retry-After": refusal[1]},
                            {"retry_after": int(refusal[1])})
                return
        if principal is None:
            if scope["type"] == "http" and _wants_html(scope, headers):
                target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
                await _redirect(send, f"{LOGIN_PATH}?next={quote(target, safe='')}")
                return
            message = ("the API key is not valid (unknown or revoked)" if presented else
                       "this endpoint needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
            await _deny(scope, send, "UNAUTHORIZED", message, request_id,
                        {"WWW-Authenticate": 'Bearer realm="interlace"'})
            return
        needed = self._scope_for(scope)
        if not principal.allows(needed):
            await _deny(scope, send, "FORBIDDEN",
                        f"key '{principal.name}' has scope '{principal.scope}'; {scope.get('method', 'GET')} "
                        f"{path} needs '{needed}'", request_id, None,
                        {"required_scope": needed, "key_scope": principal.scope})
            return
        if self._limiter is not None:
            wait = self._limiter.take(f"{principal.source}:{principal.name}")
            if wait > 0:
                retry = self._limiter.retry_after(wait)
                await _deny(scope, send, "RATE_LIMITED",
                            f"too many requests for key '{principal.name}': retry in {retry}s "
                            f"(limit {self._limiter.rate:g}/s, burst {self._limiter.burst})",
                            request_id, {"Retry-After": retry}, {"retry_after": int(retry)})
                return
        scope["interlace.principal"] = principal
        assert credential is not None
        CURRENT_CREDENTIAL.set(credential)
        if scope["type"] == "websocket" or any(fnmatch.fnmatchcase(path, p) for p in self._streams):
            await self._serve_watched(scope, receive, send, credential, principal)
            return
        await self.app(scope, receive, send)

    def _resolve(self, credential: Credential | None) -> Principal | None:
        return credential.resolve(self._keys, self._sessions) if credential is not None else None

    async def _serve_watched(self, scope: Scope, receive: Receive, send: Send, credential: Credential,
                             principal: Principal) -> None:
        if scope["type"] == "websocket" and self._bindings is not None:
            session_id = session_id_of(scope)
            if session_id is not None and not self._bindings.allows(session_id, credential):
                log.warning("refused a dashboard websocket: session %s was opened by another login", session_id[:12])
                await send({"type": "websocket.close", "code": 1008, "reason": "SESSION_NOT_YOURS"})
                return
        await watch(scope, receive, send, self.app, still_valid=lambda: self._resolve(credential),
                    limiter=self._limiter, bucket=f"{principal.source}:{principal.name}")

    def _is_public(self, path: str) -> bool:
        if path in (LOGIN_PATH, "/favicon.ico"):
            return True
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self._whitelist)

    def _scope_for(self, scope: Scope) -> str:
        if self._routes is None:
            self._routes = self._routes_of()
        path, method = scope.get("path", ""), scope.get("method", "GET")
        kind = "websocket" if scope["type"] == "websocket" else "http"
        partial = None
        for entry in self._routes:
            if not entry.matches(path):
                continue
            if entry.kind == "mount" or (entry.kind == kind and (kind == "websocket" or method in entry.methods)):
                return entry.scope
            if partial is None and entry.kind == kind:
                partial = entry
        # a method the route does not allow (405) needs what the route needs; unknown paths: read
        return partial.scope if partial is not None else "read"


def failed_authentication(failures: RateLimiter, scope: Scope) -> tuple[str, str] | None:
    """Charge a failed authentication to the client's address: (message, Retry-After) once over."""
    client = (scope.get("client") or ("unknown",))[0]
    wait = failures.take(f"client:{client}")
    if wait <= 0:
        return None
    retry = failures.retry_after(wait)
    return f"too many failed authentications from {client}: retry in {retry}s", retry


def _credential(scope: Scope, headers: dict[str, str]) -> tuple[Credential | None, bool]:
    """What the request presents, and whether it presents two different keys."""
    header_key = headers.get("x-api-key")
    auth = headers.get("authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    if header_key is not None and bearer is not None and header_key.strip() != bearer:
        return None, True
    presented = header_key or bearer
    if presented:
        return Credential("key", presented.strip()), False
    if scope["type"] == "websocket" or scope.get("method") in SAFE_METHODS:
        token = _cookie(headers, SESSION_COOKIE)
        return (Credential("session", token) if token else None), False
    return None, False


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _wants_html(scope: Scope, headers: dict[str, str]) -> bool:
    return scope.get("method") in ("GET", "HEAD") and "text/html" in headers.get("accept", "")


def _with_request_id(send: Send, request_id: str) -> Send:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers.append((b"x-request-id", request_id.encode()))
            message["headers"] = headers
        await send(message)

    return wrapped


async def _deny(scope: Scope, send: Send, code: str, message: str, request_id: str,
                headers: dict[str, str] | None, details: Any = None) -> None:
    if scope["type"] == "websocket":
        # closing before accepting makes the server answer the handshake with 403
        await send({"type": "websocket.close", "code": 1008, "reason": code})
        return
    body = json.dumps({"error": {"code": code, "message": message, "details": details,
                                 "request_id": request_id}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": STATUS[code], "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
