"""Bounds on what a request can make the server hold or say back.

Request bodies are capped by :class:`~interlace.server.security.SecurityMiddleware`; here are the
bounds on the values inside them (selectors) and on what an error echoes: a name the client sent
is repeated at most :data:`MAX_ECHO` characters, so a 1 MB selector is not sent back in a 404.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_ECHO", "MAX_LIST", "MAX_SELECTOR", "clip"]

MAX_SELECTOR = 512   # characters in one selector or exclude entry
MAX_ECHO = 2000      # characters of any one string in an error body
MAX_LIST = 100       # items of any one list in an error body


def clip(value: Any) -> Any:
    """``value`` with long strings cut and long lists shortened (each saying what was left out)."""
    if isinstance(value, str):
        if len(value) <= MAX_ECHO:
            return value
        return value[:MAX_ECHO] + f"… ({len(value) - MAX_ECHO} more characters)"
    if isinstance(value, list | tuple):
        items = [clip(v) for v in value[:MAX_LIST]]
        if len(value) > MAX_LIST:
            items.append(f"… ({len(value) - MAX_LIST} more)")
        return items
    if isinstance(value, dict):
        return {str(k)[:MAX_ECHO]: clip(v) for k, v in list(value.items())[:MAX_LIST]}
    return value
