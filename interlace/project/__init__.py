"""What the models are: specs, decorators, SQL headers, discovery, the graph and selectors.

Core: imports no IPython, widgets, Panel, papermill or FastAPI.
"""
