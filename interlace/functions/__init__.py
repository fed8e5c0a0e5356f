"""User functions: ``functions/*.py`` become DuckDB UDFs, ``functions/*.sql`` macros.

Owns discovery (:mod:`.discovery`), registration on an engine (:mod:`.register`) and which
models call which function (:func:`calls`, for fingerprints). Core: imports no face library.
"""

from __future__ import annotations

from interlace.functions.discovery import FunctionSpec, UdfOptions, calls, discover_functions, udf

__all__ = ["FunctionSpec", "UdfOptions", "calls", "discover_functions", "udf"]
