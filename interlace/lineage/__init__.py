"""Column-level lineage: which upstream columns each output column is computed from, and which
columns a model reads to filter, join or group. Pure functions over SQL and a schema.

Core: imports no IPython, widgets, Panel, papermill or FastAPI.
"""

from interlace.lineage.graph import LineageGraph
from interlace.lineage.sql import Edge, sql_lineage

__all__ = ["Edge", "LineageGraph", "sql_lineage"]
