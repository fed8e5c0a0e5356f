"""``GET /api/v1/events``: run and model lifecycle events as server-sent events, with filters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from interlace.events import EVENT_TYPES
from interlace.server.api.errors import ApiError, responses
from interlace.server.api.routes import ServiceDep, requires

router = APIRouter(tags=["events"])

KEEPALIVE_SECONDS = 15.0
_TYPES_HELP = "only these event types: " + ", ".join(sorted(EVENT_TYPES))

_DOC = {
    **responses("VALIDATION_ERROR"),
    200: {"description": "a stream of `event: <type>` / `data: <json>` messages, one per event",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
}


@router.get("/events", response_class=StreamingResponse, summary="Live events (server-sent events)",
            openapi_extra=requires("read"), responses=_DOC)
async def events(
    request: Request,
    svc: ServiceDep,
    type: Annotated[list[str], Query(description=_TYPES_HELP)] = [],  # noqa: A002, B006 - FastAPI copies defaults
    run_id: Annotated[str | None, Query(max_length=64, description="only events of this run")] = None,
    model: Annotated[str | None, Query(max_length=256, description="only events of this model")] = None,
) -> StreamingResponse:
    unknown = sorted(set(type) - EVENT_TYPES)
    if unknown:
        raise ApiError("VALIDATION_ERROR", f"unknown event type(s): {', '.join(unknown)}",
                       {"valid": sorted(EVENT_TYPES)})
    filters = {"types": frozenset(type) or None, "run_id": run_id, "model": model}

    async def stream() -> AsyncIterator[str]:
        with svc.feed(**filters) as feed:
            yield ": connected\n\n"  # lets a client know the subscription is in place
            seq = 0
            while True:
                try:
                    event = await asyncio.wait_for(feed.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if event is None:  # the server is stopping
                    return
                seq += 1
                payload = json.dumps(event.to_dict(), default=str)
                yield f"id: {seq}\nevent: {event.type}\ndata: {payload}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
