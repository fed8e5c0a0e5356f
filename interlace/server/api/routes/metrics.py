"""``GET /metrics``: the workspace's ``interlace_*`` series in the Prometheus text format.

Needs scope ``read`` like every endpoint; a scraper without a key works once ``/metrics`` is listed
in ``service.auth.whitelist``. The numbers come from the event bus (see
:mod:`interlace.observability.metrics`), so a scrape never touches the warehouse.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from interlace.observability.metrics import CONTENT_TYPE_LATEST
from interlace.server.api.errors import responses
from interlace.server.api.routes import requires

root_router = APIRouter(tags=["observability"])


@root_router.get("/metrics", summary="Prometheus metrics (text exposition format)",
                 response_class=Response, openapi_extra=requires("read"), responses={
                     **responses(), 200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                                          "description": "The metrics, in the Prometheus text format."}})
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
