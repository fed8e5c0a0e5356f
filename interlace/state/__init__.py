"""The state store: the ``interlace`` schema inside the project's DuckDB file.

Owns every read and write of state tables (bound parameters only). Imports nothing but duckdb.
"""

from interlace.state.store import StateStore

__all__ = ["StateStore"]
