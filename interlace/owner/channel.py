"""The owner's side: a loopback HTTP server that answers CLI commands on the owner's workspace.

``POST /v1/call`` answers one of :data:`interlace.owner.calls.CALLS`; ``POST /v1/run`` plans and
starts a run through the workspace's run manager (so it waits or is refused per ``run.policy``
like any other run of that process) and streams the run's events, one JSON line each, then its
result; ``POST /v1/cancel`` cancels a run; ``GET /v1/ping`` says who answers. Every request must
carry the owner token (``X-Interlace-Owner``), compared in constant time. A client that goes away
during a run cancels it: nothing it asked for is left half-built.

The standard library's threading HTTP server: the scheduler answers without the server extra.
"""

from __future__ import annotations

import atexit
import hmac
import logging
import os
import queue
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.errors import InterlaceError, InternalError, OwnerError
from interlace.owner import wire
from interlace.owner.calls import answer
from interlace.owner.file import TOKEN_HEADER, Owner, already_held, find_owner, publish, unpublish

if TYPE_CHECKING:
    from interlace.events import Event
    from interlace.workspace import Workspace

__all__ = ["TOKEN_HEADER", "OwnerChannel"]

log = logging.getLogger("interlace.owner")
Serialize = Callable[[Callable[["Workspace"], Any]], Any]


class OwnerChannel:
    """Publishes this process as the owner of ``workspace``'s warehouse and answers for it.

    ``call`` runs work on the workspace the way the rest of the process does (the server's
    :meth:`Service.call`, which serializes use of the shared connection); by default, one lock.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        kind: str,
        call: Serialize | None = None,
        api: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.kind = kind
        self.api = api
        lock = threading.RLock()

        def serialized(work: Callable[[Workspace], Any]) -> Any:
            with lock:
                return work(workspace)

        self.call: Serialize = call or serialized
        self.token = secrets.token_urlsafe(32)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def root(self) -> Path:
        return self.workspace.root

    @property
    def address(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OwnerChannel:
        """Listen on a free 127.0.0.1 port and publish the owner file; refused while another live
        process owns this environment's warehouse."""
        env = self.workspace.env
        other = find_owner(self.root, env)
        if other is not None and other.pid != os.getpid():
            raise already_held(self.root, other)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.channel = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="interlace-owner",
            daemon=True,
        )
        self._thread.start()
        engine = self.workspace.engine
        # a kernel shut down without --stop leaves no owner file behind
        atexit.register(unpublish, self.root, env)
        publish(
            self.root,
            Owner.current(
                address=self.address,
                env=env,
                kind=self.kind,
                project_dir=self.root,
                warehouse=engine.path,
                api=self.api,
            ),
            self.token,
        )
        return self

    def stop(self) -> None:
        """Remove the owner file, then stop answering."""
        unpublish(self.root, self.workspace.env)
        atexit.unregister(unpublish)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OwnerChannel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the work ----------------------------------------------------------------------------------
    def answer(self, request: dict[str, Any]) -> Any:
        self._check_env(request)
        return self.call(
            lambda ws: answer(ws, str(request["name"]), dict(request.get("args") or {}))
        )

    def run(self, request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        """Plan and start the run, then ``send`` its events and its result (or the error)."""
        from interlace.options import RunOptions

        self._check_env(request)
        options = RunOptions(**request["options"])
        events: queue.Queue[Event] = queue.Queue()
        unsubscribe = self.workspace.events.subscribe(events.put)
        try:
            handle = self.call(
                lambda ws: ws.runs.start(
                    ws.plan(options), trigger=str(request.get("trigger") or "cli")
                )
            )
            try:
                while True:
                    try:
                        event = events.get(timeout=0.1)
                    except queue.Empty:
                        if handle.done and events.empty():
                            break
                        continue
                    if event.run_id == handle.run_id:
                        send({"event": event.to_dict()})
            except OSError:  # the client went away: its run does not go on without it
                log.warning(
                    "the client of forwarded run %s went away: cancelling it", handle.run_id
                )
                handle.cancel()
                raise
        finally:
            unsubscribe()
        try:
            result = handle.wait()
        except InterlaceError as exc:
            send({"error": exc.to_dict()})
            return
        assert result is not None
        send({"result": result.to_dict()})

    def cancel(self, request: dict[str, Any]) -> bool:
        return self.workspace.runs.cancel(str(request["run_id"]))

    def _check_env(self, request: dict[str, Any]) -> None:
        env = request.get("env")
        if env != self.workspace.env:
            raise OwnerError(
                f"this owner holds environment '{self.workspace.env}', not '{env}'",
                hint="the owner files are per environment: run the command with --env "
                f"{self.workspace.env}, or start an owner for '{env}'",
            )


class _Handler(BaseHTTPRequestHandler):
    server_version = "interlace-owner"
    protocol_version = "HTTP/1.1"

    @property
    def channel(self) -> OwnerChannel:
        channel: OwnerChannel = self.server.channel  # type: ignore[attr-defined]
        return channel

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.debug("owner channel: " + format, *args)

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path != "/v1/ping":
            self._reply(404, {"error": _error(f"no owner endpoint GET {self.path}")})
            return
        ws = self.channel.workspace
        self._reply(
            200,
            {
                "pid": os.getpid(),
                "env": ws.env,
                "project_dir": str(ws.root),
                "kind": self.channel.kind,
            },
        )

    def do_POST(self) -> None:
        if not self._authorized():
            return
        try:
            request = wire.loads(
                self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"
            )
        except ValueError as exc:
            self._reply(400, {"error": _error(f"the request body is not valid JSON: {exc}")})
            return
        if self.path == "/v1/run":
            self._stream_run(request)
            return
        handlers = {"/v1/call": self.channel.answer, "/v1/cancel": self.channel.cancel}
        handler = handlers.get(self.path)
        if handler is None:
            self._reply(404, {"error": _error(f"no owner endpoint POST {self.path}")})
            return
        try:
            self._reply(200, {"result": handler(request)})
        except InterlaceError as exc:
            self._reply(200, {"error": exc.to_dict()})
        except Exception as exc:  # a bug: the client says so rather than hanging
            log.exception("owner call %s failed", request.get("name"))
            self._reply(
                500,
                {
                    "error": InternalError(
                        f"the owner failed answering: {exc!r}",
                        hint="see the owner's log; please report it",
                    ).to_dict()
                },
            )

    def _stream_run(self, request: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def send(item: dict[str, Any]) -> None:
            self.wfile.write(wire.dumps(item) + b"\n")
            self.wfile.flush()

        try:
            self.channel.run(request, send)
        except OSError:
            return
        except InterlaceError as exc:
            send({"error": exc.to_dict()})
        except Exception as exc:
            log.exception("forwarded run failed")
            send(
                {
                    "error": InternalError(
                        f"the owner failed running: {exc!r}",
                        hint="see the owner's log; please report it",
                    ).to_dict()
                }
            )

    def _authorized(self) -> bool:
        given = self.headers.get(TOKEN_HEADER, "")
        if hmac.compare_digest(given.encode(), self.channel.token.encode()):
            return True
        self._reply(
            401,
            {
                "error": _error(
                    "the owner token is missing or wrong",
                    hint="read it from the owner's token file (.interlace/owner/)",
                )
            },
        )
        return False

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        raw = wire.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _error(message: str, *, hint: str | None = None) -> dict[str, Any]:
    return OwnerError(message, hint=hint).to_dict()
