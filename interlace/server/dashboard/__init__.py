"""The Panel dashboard: overview, models, model pages, the live DAG and runs.

Mounted inside the server's FastAPI app at ``/dashboard`` (behind the same auth middleware), or
run alone with ``panel serve "$(python -m interlace.server.dashboard)" --args -d PROJECT``.
Views read through :class:`~interlace.server.service.Service` and render values; the DAG reuses
the notebook ``DagWidget``'s ESM and CSS (``interlace/widgets/static/dag.*``) with the same
value format, hosted as a Panel ``AnyWidgetComponent`` (no anywidget needed).
"""
