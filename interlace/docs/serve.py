"""``interlace docs serve``: the site on 127.0.0.1, rebuilt when the project's files change.

A watcher polls the modification times of the project's files (models, notebooks, config and the
warehouse, so a finished run shows up too) and rebuilds; every served page carries a small script
that asks ``/__interlace_build`` for the build number and reloads when it changes. The workspace
is opened for each build and closed after it, so ``interlace run`` in another terminal is never
locked out of the warehouse.
"""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interlace.docs.site import SiteSummary, build_site
from interlace.errors import InterlaceError

__all__ = ["DocsServer", "RELOAD_SCRIPT"]

BUILD_PATH = "/__interlace_build"
RELOAD_SCRIPT = (
    "(function(){var seen=null;function poll(){var r=new XMLHttpRequest();"
    f"r.open('GET','{BUILD_PATH}',true);r.onload=function(){{var n=JSON.parse(r.responseText).build;"
    "if(seen!==null&&n!==seen){location.reload();}seen=n;};r.onloadend=function(){setTimeout(poll,1000);};"
    "r.send();}poll();})();"
)
_IGNORED = {"__pycache__", ".ipynb_checkpoints", ".git", "node_modules", ".venv"}


class DocsServer:
    """Build once, serve ``out`` on ``127.0.0.1:port``, and rebuild on change until :meth:`stop`."""

    def __init__(self, open_workspace: Callable[[], Any], root: Path, out: Path, *, select: tuple[str, ...] = (),
                 force: bool = False, port: int = 8765, poll: float = 0.5,
                 log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> None:
        self._open = open_workspace
        self.root, self.out, self.select, self.poll, self.log = root, out, select, poll, log
        self.build_number = 0
        self.last: SiteSummary | None = None
        self._stop = threading.Event()
        self.rebuild(force=force)
        handler = functools.partial(_Handler, self, directory=str(self.out))
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = self._http.server_address[1]
        self._threads = [threading.Thread(target=self._http.serve_forever, name="docs-http", daemon=True),
                         threading.Thread(target=self._watch, name="docs-watch", daemon=True)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/index.html"

    def start(self) -> DocsServer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()

    def rebuild(self, *, force: bool = False) -> SiteSummary | None:
        """Build the site again; a project error is logged and the previous site stays served."""
        try:
            with self._open() as ws:
                self.last = build_site(ws, self.out, select=self.select, force=force, reload_script=RELOAD_SCRIPT)
        except InterlaceError as exc:
            if self.last is None:
                raise
            self.log(f"docs: rebuild failed, still serving build {self.build_number}:\n{exc}")
            return None
        self.out = self.last.out
        self._snapshot = self._files()
        self.build_number += 1
        return self.last

    def _files(self) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for path in self.root.rglob("*"):
            rel = path.relative_to(self.root).parts
            if self.out == path or self.out in path.parents or any(p in _IGNORED for p in rel):
                continue
            if rel[0] == ".interlace" and path.suffix not in (".duckdb", ".wal"):
                continue  # caches and locks change without anything to show
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                found[str(path)] = (stat.st_mtime_ns, stat.st_size)
        return found

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            if self._files() != self._snapshot:
                summary = self.rebuild()
                if summary is not None:
                    self.log(f"docs: rebuilt ({summary.models} models) in {summary.seconds:.1f} s")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, server_: DocsServer, *args: Any, **kwargs: Any) -> None:
        self.docs = server_
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.split("?")[0] == BUILD_PATH:
            payload = json.dumps({"build": self.docs.build_number}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        return
