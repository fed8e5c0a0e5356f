"""Bound parameters without importing pandas (and numpy): 0.3–0.6 s off every fresh process.

DuckDB's Python client (1.5.x, ``GetPythonObjectType`` in ``python_conversion.cpp``) checks every
non-NULL parameter against ``pandas.NaT`` and ``pandas.NA`` *before* it looks at the value's type,
and its import cache loads pandas to do so: ``con.execute("SELECT ?", [1])`` imports pandas and
numpy, whatever the parameter's type (``duckdb.Value`` included). Other places in the client ask
``ModuleIsLoaded<PandasCacheItem>()`` first; that one does not.

:func:`keep_pandas_unloaded` lets the import cache take a stand-in for the pandas module, once per
process, while pandas is not imported yet. The stand-in answers ``NaT``/``NA`` with "no such
attribute" until the real pandas is imported by someone (no value can be ``pandas.NaT`` before
that), and then hands out the real module's attributes, so DataFrame scans, ``.df()`` and NaT/NA
parameters behave exactly as before. ``sys.modules`` holds the stand-in only during one
``SELECT ?`` on the calling thread; it is never left there. Values stay bound parameters.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

__all__ = ["keep_pandas_unloaded"]

_LATE = ("NaT", "NA")  # what DuckDB asks for on every parameter; nothing else is answered early
_lock = threading.Lock()
_seeded = False


class _PandasStandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        real = sys.modules.get("pandas")
        if real is self:  # still being seeded: only NaT/NA can be asked for; there is no pandas yet
            raise AttributeError(name)
        if real is None:
            if name in _LATE:
                raise AttributeError(name)
            real = importlib.import_module("pandas")
        return getattr(real, name)


def keep_pandas_unloaded(connection: Any) -> bool:
    """Seed DuckDB's (process-wide) import cache so bound parameters do not import pandas.

    Returns whether this call seeded it: not when it was already done, or pandas is imported.
    """
    global _seeded
    with _lock:
        if _seeded or "pandas" in sys.modules:
            return False
        stand_in = _PandasStandIn("pandas")
        sys.modules["pandas"] = stand_in
        try:
            connection.execute("SELECT ?", [0]).fetchall()
        finally:
            if sys.modules.get("pandas") is stand_in:
                del sys.modules["pandas"]
        _seeded = True
        return True
