"""How models are built: the DuckDB engine, materializations, strategies and the parallel run.

Core: imports no IPython, widgets, Panel, papermill or FastAPI.
"""
