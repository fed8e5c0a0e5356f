"""The documentation site at ``/docs`` of ``interlace serve``, behind the server's auth.

The site is the one ``interlace docs build`` writes (:func:`interlace.docs.site.build_site`), built
into ``.interlace/docs-site/`` of the project on a thread of its own (it holds the server's
workspace only while it reads; rendering and writing the pages run beside requests): first when ``/docs`` is asked
for (that request waits for it, up to :data:`FIRST_WAIT_S`; a server nobody reads the docs of never
spends a build), then again after each run ends. While there is no site yet, ``/docs`` answers 503
with a page that says why. The mount is an ordinary
route of the app, so the :class:`~interlace.server.api.auth.GuardMiddleware` in front of it asks
for a key or a login (scope ``read``) like every other page.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.errors import InterlaceError
from interlace.events import Event

if TYPE_CHECKING:
    from fastapi import FastAPI

    from interlace.server.service import Service

__all__ = ["DOCS_PATH", "DocsSite", "mount_docs"]

log = logging.getLogger("interlace.server")
DOCS_PATH = "/docs"
SITE_DIR = Path(".interlace") / "docs-site"
_RUN_ENDS = ("run.finished", "run.failed", "run.cancelled")
FIRST_WAIT_S = 60.0


class DocsSite:
    """The site's files and the thread that (re)builds them: when first asked for, then after each run."""

    def __init__(self, svc: Service, out: Path | None = None) -> None:
        self.svc = svc
        self.out = out or svc.workspace.root / SITE_DIR
        self.builds = 0
        self.error: str | None = None
        self.requested = False
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._idle = threading.Condition()
        self._starting = threading.Lock()
        self._remove = svc.listen(self._on_event)
        self._thread = threading.Thread(target=self._loop, name="interlace-docs", daemon=True)

    def start(self) -> DocsSite:
        with self._starting:
            if self._thread.ident is None and not self._stopped.is_set():  # never started
                self._thread.start()
        return self

    def request(self) -> None:
        """The site was asked for: build it if it never was (later runs rebuild it). Starts the
        builder if the app's lifespan did not (an ASGI host without lifespan events)."""
        if not self.requested:
            self.requested = True
            self._wanted.set()
            self.start()

    def stop(self) -> None:
        self._remove()
        self._stopped.set()
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join(60)

    def wait(self, builds: int, timeout: float) -> bool:
        """Wait until at least ``builds`` builds have ended (for callers that need a fresh site)."""
        with self._idle:
            return self._idle.wait_for(lambda: self.builds >= builds, timeout)

    def _on_event(self, event: Event) -> None:
        if self.requested and event.to_dict().get("type") in _RUN_ENDS:
            self._wanted.set()

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopped.is_set():
                return
            self._wanted.clear()  # a run ending during this build asks for one more
            self._build()

    def _build(self) -> None:
        from interlace.docs.site import read_site, write_site

        try:  # only the read holds the server's workspace; pages are rendered and written after it
            summary = write_site(self.svc.call(read_site), self.out)
            self.error = None
            log.info("docs site rebuilt: %d models in %.1f s", summary.models, summary.seconds)
        except ImportError as exc:
            self.error = (f"{exc}: the docs site needs the docs extra; install it with "
                          "`pip install 'interlace[docs]'` and restart `interlace serve`")
            log.warning("the docs site at %s could not be built: %s", DOCS_PATH, self.error)
        except InterlaceError as exc:
            self.error = str(exc)
            log.warning("the docs site at %s could not be built: %s", DOCS_PATH, exc)
        with self._idle:
            self.builds += 1
            self._idle.notify_all()


class _SiteApp:
    """ASGI: the built files (``index.html`` for folders), or 503 while there is nothing to show."""

    def __init__(self, site: DocsSite) -> None:
        from starlette.staticfiles import StaticFiles

        self.site = site
        self.files = StaticFiles(directory=site.out, html=True, check_dir=False)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        index = self.site.out / "index.html"
        if not self.site.requested:
            self.site.request()
        if not index.is_file() and self.site.builds == 0:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self.site.wait, 1, FIRST_WAIT_S)
        if index.is_file():
            await self.files(scope, receive, send)
            return
        from starlette.responses import HTMLResponse

        why = (f"The build failed:</p><pre>{_escape(self.site.error)}</pre><p>Fix the project, then run "
               "a model (every run rebuilds the site)." if self.site.error
               else "The documentation site is being built; reload this page in a few seconds.")
        page = f"<!doctype html><title>Docs</title><h1>Documentation</h1><p>{why}</p>"
        await HTMLResponse(page, status_code=503, headers={"Retry-After": "5"})(scope, receive, send)


def _escape(text: str | None) -> str:
    import html

    return html.escape(text or "")


def mount_docs(app: FastAPI, svc: Service, *, path: str = DOCS_PATH) -> DocsSite:
    """Mount the site at ``path`` of ``app``; the caller starts it and stops it (see ``create_app``)."""
    site = DocsSite(svc)
    app.mount(path, _SiteApp(site), name="docs")
    return site
