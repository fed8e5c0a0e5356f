"""Build the server's ASGI app and run it: ``create_app``, ``serve`` (blocking), ``start_in_thread``.

One process, one :class:`~interlace.workspace.Workspace`: the REST API under ``/api/v1``, SSE,
Swagger UI at ``/api/docs``, the OpenAPI document at ``/api/openapi.json``, ``/health``, ``/metrics``, the login
page, the Panel dashboard at ``/dashboard`` and the docs site at ``/docs`` — all behind one :class:`GuardMiddleware`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse

from interlace import __version__
from interlace.config import ServiceConfig
from interlace.keys import KeyRing
from interlace.observability.metrics import MetricsCollector
from interlace.owner.channel import OwnerChannel
from interlace.server.api import API_PREFIX
from interlace.server.api.auth import GuardMiddleware, Sessions, route_table
from interlace.server.api.docs import OPENAPI_PATH, install_docs
from interlace.server.api.errors import install_error_handlers
from interlace.server.api.metrics import RequestMetrics
from interlace.server.api.ratelimit import RateLimiter
from interlace.server.api.routes import ROUTERS, requires
from interlace.server.api.whitelist import check_whitelist
from interlace.server.docs_mount import mount_docs
from interlace.server.login import install_login
from interlace.server.security import DashboardFilter, SecurityMiddleware, allowed_hosts
from interlace.server.service import Service
from interlace.server.sessions import DashboardSessions

if TYPE_CHECKING:
    import uvicorn

    from interlace.workspace import Workspace

__all__ = ["RunningServer", "create_app", "serve", "start_in_thread"]

log = logging.getLogger("interlace.server")
DASHBOARD_PATH = "/dashboard"


def create_app(workspace: Workspace, *, service_config: ServiceConfig | None = None, dashboard: bool = True,
               origins: list[str] | None = None, scheduler: bool = False,
               listen: tuple[str, int] | None = None, shared: bool = False) -> FastAPI:
    """The ASGI app for ``workspace``; ``service_config`` defaults to the project's ``service:``.

    ``origins`` are the ``host:port`` values the dashboard's websocket may come from. With
    ``scheduler``, the app fires the project's schedules on a thread while it serves. ``listen``
    is the address served, which (with ``service.trusted_hosts``) sets the Host values answered.
    ``shared``: the workspace belongs to a notebook, whose runs outlive the server.
    """
    conf = service_config or workspace.loaded.config.service
    title = workspace.loaded.config.name or workspace.root.name
    svc = Service(workspace, shared=shared)
    metrics = MetricsCollector()
    stop_metrics = metrics.attach(workspace.events)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler:
            svc.scheduler = _start_scheduler(svc)
        docs_site.start()
        _start_streams(svc)
        yield
        docs_site.stop()
        if svc.scheduler is not None:
            svc.scheduler.stop()
        stop_metrics()
        svc.close()

    app = FastAPI(title=f"interlace API — {title}", version=__version__, openapi_url=OPENAPI_PATH,
                  docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="REST API of an interlace project. Send an API key as `Authorization: Bearer "
                              "<key>` or `X-API-Key: <key>`; each endpoint names the scope it needs "
                              "(`x-required-scope`: read < run < admin).")
    app.state.interlace = svc
    app.state.metrics = metrics
    app.state.keyring = KeyRing(conf.auth, workspace.keys)
    app.state.sessions = Sessions(conf.auth.session_hours)
    app.state.dashboard_sessions = DashboardSessions(conf.auth.session_hours * 3600)
    app.state.auth_failures = RateLimiter(conf.rate_limit.failed_auth_rate, conf.rate_limit.failed_auth_burst)
    install_error_handlers(app)
    app.state.included = []
    for router, prefixed in ROUTERS():
        prefix = API_PREFIX if prefixed else ""
        app.include_router(router, prefix=prefix)
        app.state.included += [(prefix, route) for route in router.routes]
    install_docs(app, title)
    install_login(app, title)
    docs_site = mount_docs(app, svc)  # the static docs site at /docs, rebuilt after each run

    @app.get("/", include_in_schema=False, openapi_extra=requires("read"))
    def root() -> RedirectResponse:
        return RedirectResponse(DASHBOARD_PATH if dashboard else "/api/docs", status_code=303)

    if dashboard:
        from interlace.server.dashboard.app import mount_dashboard

        mount_dashboard(app, svc, path=DASHBOARD_PATH, origins=origins or [])
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if conf.auth.enabled:
        check_whitelist(route_table(app), conf.auth.whitelist)
    limiter = RateLimiter(conf.rate_limit.rate, conf.rate_limit.burst) if conf.rate_limit.enabled else None
    app.add_middleware(DashboardFilter, dashboard_path=DASHBOARD_PATH if dashboard else None)
    app.add_middleware(GuardMiddleware, routes_of=lambda: route_table(app), auth=conf.auth,
                       keys=app.state.keyring, sessions=app.state.sessions, limiter=limiter,
                       bindings=app.state.dashboard_sessions, failures=app.state.auth_failures,
                       streams=(f"{API_PREFIX}/events", f"{API_PREFIX}/streams/*/subscribe"))
    app.add_middleware(RequestMetrics, registry=metrics.registry, routes_of=lambda: route_table(app))
    if conf.cors.origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(conf.cors.origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
                           expose_headers=["Retry-After", "X-Request-ID"])
    hosts = allowed_hosts(*listen, conf.trusted_hosts) if listen else (frozenset(conf.trusted_hosts) or None)
    if hosts is None and listen is not None:
        log.warning("the server listens on every interface and service.trusted_hosts is empty: it answers to "
                    "any Host header. List the names clients use in service.trusted_hosts.")
    # outermost: refuse untrusted hosts, foreign websocket origins and oversized bodies before anything
    app.add_middleware(SecurityMiddleware, hosts=lambda: hosts, cors_origins=conf.cors.origins,
                       max_body_bytes=conf.max_body_bytes, dashboard_path=DASHBOARD_PATH if dashboard else None)
    if not conf.auth.enabled:
        log.warning("service.auth.enabled is false: the API and dashboard accept requests WITHOUT a key "
                    "and grant them every scope. Enable it before exposing this server.")
    return app


def _start_streams(svc: Service) -> None:
    """Stream triggers and adapters, when the project declares streams (they share the lock)."""
    conf = svc.workspace.loaded.config
    if not svc.workspace.engine.read_only and (conf.streams or svc.workspace.project.streams):
        from interlace.errors import InterlaceError

        try:
            svc.workspace.streams.start(call=svc.call)
        except InterlaceError as exc:  # the API still serves, and answers with the same error
            log.error("streams are not started: %s", exc)


def _start_scheduler(svc: Service) -> Any:
    """The scheduler over the server's workspace; its state calls share the server's lock."""
    from interlace.scheduler import Scheduler

    try:
        from interlace.runner.notebook import run_scheduled
    except ImportError:  # without the runner extra, notebook fires fail with a message saying so
        run_scheduled = None  # type: ignore[assignment]
    return Scheduler(svc.workspace, call=svc.call, notebook_runner=run_scheduled).start()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document plus the security schemes the middleware enforces."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    doc.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "x-required-scope" in operation:
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
    app.openapi_schema = doc
    return doc


@dataclass
class RunningServer:
    """A server started by :func:`start_in_thread`; ``stop()`` shuts it down."""

    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread
    channel: OwnerChannel | None = None  # this process answers CLI commands for the warehouse

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 30.0) -> None:
        if self.channel is not None:
            self.channel.stop()
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from interlace.errors import ConfigError

        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}", origin="service.host / service.port",
                          hint="choose another port (--port or service.port; 0 picks a free one)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(workspace: Workspace, host: str | None, port: int | None, dashboard: bool,
            log_level: str, scheduler: bool = False,
            shared: bool = False) -> tuple[uvicorn.Server, socket.socket, str, int]:
    import uvicorn

    conf = workspace.loaded.config.service
    host = host or conf.host
    sock = _bind(host, conf.port if port is None else port)
    bound = sock.getsockname()[1]
    origins = [f"{host}:{bound}", f"localhost:{bound}", f"127.0.0.1:{bound}"]
    app = create_app(workspace, dashboard=dashboard, origins=origins, scheduler=scheduler,
                     listen=(host, bound), shared=shared)
    # with a logging: section, uvicorn's records go through the handler it installed (JSON, redacted)
    own_logging: dict[str, Any] = {"log_config": None} if workspace.loaded.config.logging is not None else {}
    config = uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=5, lifespan="on",
                            ws_max_size=conf.max_body_bytes, **own_logging)
    return uvicorn.Server(config), sock, host, bound


def serve(workspace: Workspace, host: str | None = None, port: int | None = None, *, dashboard: bool = True,
          log_level: str = "info", on_ready: Any = None, scheduler: bool = False) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM); used by ``interlace serve`` (with the scheduler)."""
    server, sock, host, bound = _server(workspace, host, port, dashboard, log_level, scheduler)
    channel = _owner_channel(server, "serve", host, bound)  # CLI commands are sent here
    if on_ready is not None:
        on_ready(host, bound)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler that was
    # there before it: with the default one the process dies before the warehouse is closed.
    # Turn it into the KeyboardInterrupt a Ctrl-C gives, which the caller ends cleanly on.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    _freeze_heap()
    try:
        server.run(sockets=[sock])
    finally:
        channel.stop()
        signal.signal(signal.SIGTERM, previous)


def _freeze_heap() -> None:
    """Keep what start-up made (imports, the app, the project) out of the garbage collector's
    full passes: under load one pass over it took up to 0.6 s, every request waiting (the p99 of
    bench/server_load.py). Only where the process is the server, never in a notebook's kernel
    (frozen objects are never freed)."""
    gc.collect()
    gc.freeze()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def start_in_thread(workspace: Workspace, host: str | None = None, port: int | None = None, *,
                    dashboard: bool = True, log_level: str = "warning", timeout: float = 60.0,
                    owner: str | None = None) -> RunningServer:
    """Start the server on a background thread of this process, sharing ``workspace``.

    For ``%interlace serve`` (``owner="kernel"``): the notebook and the dashboard use one engine,
    and the process answers CLI commands for the warehouse. ``port=0`` picks a free port (see
    ``.port``). Returns once the server accepts connections.
    """
    server, sock, host, bound = _server(workspace, host, port, dashboard, log_level,
                                        shared=owner is not None)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="interlace-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the interlace server on {host}:{bound} stopped while starting (see the log)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"the interlace server on {host}:{bound} did not start within {timeout:g}s")
        time.sleep(0.02)
    running = RunningServer(host, bound, server, thread)
    if owner is not None:
        try:
            running.channel = _owner_channel(server, owner, host, bound)
        except BaseException:
            running.stop()
            raise
    return running


def _owner_channel(server: uvicorn.Server, kind: str, host: str, port: int) -> OwnerChannel:
    """Publish this process as the warehouse's owner; its answers share the server's lock."""
    app: Any = server.config.app
    svc: Service = app.state.interlace
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api = f"http://{url_host}:{port}"
    return OwnerChannel(svc.workspace, kind=kind, call=svc.call, api=api).start()
