"""Check ``service.auth.whitelist`` against the routes: a whitelisted path may only read.

A whitelist entry lets requests through with no key at all. An entry of ``/`` or ``/api/`` (a
prefix) would make every route under it anonymous — key creation included — so each entry must
match only routes that need the ``read`` scope, and every entry other than ``/health`` is logged
as a warning at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from interlace.errors import ConfigError
from interlace.server.api.auth import RouteEntry

__all__ = ["check_whitelist"]

log = logging.getLogger("interlace.server")
DEFAULT = ("/health",)


def _covers(entry: str, route: RouteEntry) -> bool:
    if entry.endswith("/"):
        return route.path.startswith(entry) or (route.path + "/").startswith(entry)
    return route.matches(entry) or route.path == entry


def check_whitelist(routes: Sequence[RouteEntry], whitelist: Sequence[str]) -> None:
    """Raise :class:`ConfigError` when an entry opens a route that needs more than ``read``."""
    for entry in whitelist:
        if not entry.startswith("/"):
            raise ConfigError(f"'{entry}' is not a path", origin="service.auth.whitelist",
                              hint="give absolute paths such as /health")
        opened = {(r.scope != "admin", f"{', '.join(sorted(r.methods)) or r.kind.upper()} {r.path} ({r.scope})")
                  for r in routes if r.scope != "read" and _covers(entry, r)}
        writes = [text for _, text in sorted(opened)]  # admin routes first: the worst is named
        if writes:
            raise ConfigError(
                f"'{entry}' would let requests without a key reach routes that need "
                f"more than 'read': {'; '.join(writes[:5])}" + (f" and {len(writes) - 5} more" if len(writes) > 5 else ""),
                origin="service.auth.whitelist",
                hint="whitelist only exact read-only paths such as /health (remove the entry, or name the "
                     "read-only paths it was meant for)")
        if entry not in DEFAULT:
            log.warning("service.auth.whitelist: %s is open to anyone WITHOUT a key", entry)
