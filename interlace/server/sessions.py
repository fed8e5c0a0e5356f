"""Credentials that stay checked: dashboard sessions bound to a login, long-lived connections watched.

The guard authenticates a request once, when it arrives. A dashboard websocket or an SSE stream
then lives for hours, so the guard also hands it to :func:`watch`, which

* re-resolves the connection's :class:`Credential` every :data:`RECHECK_SECONDS` and ends the
  connection when the key was revoked or the login expired (websocket close 1008, or a final
  ``event: error`` on a stream);
* charges every websocket message to the principal's rate-limit bucket, waiting (back pressure)
  when it is empty, so a flood of messages slows its sender and no one else.

:class:`DashboardSessions` binds each Bokeh session id to the credential that created the page;
a websocket for that session opened with any other credential is refused, so a session id seen by
someone else (a shared link, a log) is worth nothing to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlace.keys import Principal

if TYPE_CHECKING:
    from interlace.keys import KeyRing
    from interlace.server.api.auth import Sessions
    from interlace.server.api.ratelimit import RateLimiter

__all__ = ["CURRENT_CREDENTIAL", "RECHECK_SECONDS", "Credential", "DashboardSessions", "session_id_of", "watch"]

log = logging.getLogger("interlace.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

RECHECK_SECONDS = 1.0
ANONYMOUS = Principal("anonymous", "admin", "anonymous")


@dataclass(frozen=True, slots=True)
class Credential:
    """What a request presented: an API key, a login cookie, or nothing (auth disabled).

    Kept server-side only (the dashboard page never sees it). ``resolve`` answers again each time,
    so a revoked key or an expired login stops working for connections opened before.
    """

    kind: str  # key | session | anonymous
    secret: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.kind}:{self.secret}".encode()).hexdigest()

    def resolve(self, keys: KeyRing, sessions: Sessions) -> Principal | None:
        if self.kind == "anonymous":
            return ANONYMOUS
        if self.kind == "session":
            return sessions.resolve(self.secret)
        return keys.resolve(self.secret)


# set by the guard for the request being handled: the dashboard's session factory reads it
CURRENT_CREDENTIAL: contextvars.ContextVar[Credential | None] = contextvars.ContextVar(
    "interlace_credential", default=None)


class DashboardSessions:
    """Bokeh session id -> the credential digest that created it (kept for the login's lifetime)."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._bound: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def bind(self, session_id: str, credential: Credential) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._bound) > 1000:
                self._bound = {k: v for k, v in self._bound.items() if v[0] > now}
            self._bound[session_id] = (now + self._ttl, credential.digest)

    def allows(self, session_id: str, credential: Credential) -> bool:
        """True when ``credential`` created the session (or no page created it in this server:
        Bokeh then makes a new session from the signed token, bound on creation)."""
        with self._lock:
            entry = self._bound.get(session_id)
        return entry is None or entry[1] == credential.digest


def session_id_of(scope: Scope) -> str | None:
    """The Bokeh session id in a websocket handshake (``Sec-WebSocket-Protocol: bokeh, <token>``)."""
    protocols = scope.get("subprotocols") or []
    if len(protocols) != 2 or protocols[0] != "bokeh":
        return None
    from bokeh.util.token import get_session_id

    try:
        return str(get_session_id(protocols[1]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


async def watch(scope: Scope, receive: Receive, send: Send, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                *, still_valid: Callable[[], Principal | None], limiter: RateLimiter | None, bucket: str) -> None:
    """Serve a long-lived connection while its credential stays valid (see the module docstring)."""
    ended = asyncio.Event()
    websocket = scope["type"] == "websocket"
    send_lock = asyncio.Lock()
    closed = False

    async def guarded_send(message: Message) -> None:
        async with send_lock:
            if closed:  # what ASGI servers raise for a client that is gone: the app stops streaming
                raise OSError("the connection was closed: its key was revoked or its login expired")
            await send(message)

    async def guarded_receive() -> Message:
        if websocket and limiter is not None:
            wait = limiter.take(bucket)
            if wait > 0:  # back pressure on this connection only
                await asyncio.sleep(wait)
        getter = asyncio.ensure_future(receive())
        stopper = asyncio.ensure_future(ended.wait())
        done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            stopper.cancel()
            return getter.result()
        getter.cancel()
        return {"type": "websocket.disconnect", "code": 1008} if websocket else {"type": "http.disconnect"}

    async def watchdog() -> None:
        nonlocal closed
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            principal = await asyncio.to_thread(still_valid)
            if principal is not None:
                continue
            log.info("closing a %s connection to %s: its key was revoked or its login expired",
                     scope["type"], scope.get("path"))
            async with send_lock:
                closed = True
                with contextlib.suppress(Exception):  # the client may be gone already
                    if websocket:
                        await send({"type": "websocket.close", "code": 1008, "reason": "REVOKED"})
                    else:
                        data = json.dumps({"code": "UNAUTHORIZED", "message": "the key of this stream was revoked "
                                           "or its login expired; sign in again"})
                        await send({"type": "http.response.body", "body": f"event: error\ndata: {data}\n\n".encode(),
                                    "more_body": False})
            ended.set()
            return

    task = asyncio.ensure_future(watchdog())
    try:
        await app(scope, guarded_receive, guarded_send)
    finally:
        task.cancel()


def open_dashboard_session(app: Any, session_id: str | None) -> tuple[Principal, Callable[[], Principal | None]] | None:
    """For the dashboard session being created: its principal and a re-check, bound to ``session_id``.

    The credential is the one the guard found on this request (never anything from the page);
    ``None`` when there is none or it no longer resolves.
    """
    credential = CURRENT_CREDENTIAL.get()
    if credential is None:
        return None

    def recheck() -> Principal | None:
        return credential.resolve(app.state.keyring, app.state.sessions)

    principal = recheck()
    if principal is None:
        return None
    if session_id is not None:
        app.state.dashboard_sessions.bind(session_id, credential)
    return principal, recheck
