"""The documentation site face: ``interlace docs build`` / ``docs serve`` and ``%interlace docs``.

Owns: the static site builder (:func:`build_site`), its Jinja2 templates and local assets (shipped
as package data, never fetched from a CDN), the sharded search index and the live-reload server.
It reads the project only through the Workspace's typed methods. Must not import the other faces
(magics, server, cli); it uses the widgets' pure layout and HTML helpers, which import no anywidget.
Jinja2, nbconvert and pygments come with the ``docs`` extra and are imported when a site is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.docs.site import SiteSummary, build_site

__all__ = ["SiteSummary", "build_site"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from interlace.docs import site

        return getattr(site, name)
    raise AttributeError(f"module 'interlace.docs' has no attribute {name!r}")
