"""The HTTP face: REST API, server-sent events, Swagger UI and the Panel dashboard in one process.

Owns ``interlace serve`` and ``%interlace serve``'s server. Imports FastAPI, uvicorn and Panel
(the ``server`` extra) — core modules must never import this package. Every route turns its input
into an options value or a name and calls the :class:`~interlace.workspace.Workspace`; no model,
plan or state logic lives here.

``interlace.keys`` is the exception that imports none of those libraries, so the
``interlace keys`` command stays light.

>>> from interlace.server.app import start_in_thread   # doctest: +SKIP
>>> server = start_in_thread(workspace, port=8080)     # doctest: +SKIP
>>> server.url, server.stop()                           # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.server.app import RunningServer, create_app, serve, start_in_thread

__all__ = ["RunningServer", "create_app", "serve", "start_in_thread"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from interlace.server import app

        return getattr(app, name)
    raise AttributeError(f"module 'interlace.server' has no attribute {name!r}")
