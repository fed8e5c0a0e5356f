"""``/api/v1/streams``: list, detail, publish, consume, ack, subscribe (SSE), dead letters.

Publishing goes through the global guard (authentication, the key's rate limit) like every
route; the stream's own ``auth`` (minimum scope, allowed key names) and ``rate_limit`` are then
checked here. A 2xx means the events are committed: the writer replied after its transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from interlace.errors import InterlaceError
from interlace.keys import Principal
from interlace.server.api.errors import ApiError, responses
from interlace.server.api.ratelimit import RateLimiter
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.service import Service
from interlace.streams.writer import EventsRejected

router = APIRouter(tags=["streams"])

StreamName = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
KEEPALIVE_SECONDS = 15.0


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsumerOut(_Out):
    stream: str
    consumer: str
    acked_offset: int
    in_flight: int
    lag: int
    updated_at: datetime | None = None


class StreamOut(_Out):
    name: str
    relation: str
    origin: str
    description: str | None = None
    columns: dict[str, str]
    declared: bool
    events: int
    last_offset: int | None = None
    last_event_at: datetime | None = None
    rate_per_minute: int
    retention: str
    consumers: list[ConsumerOut]
    dead_letters: int
    downstream: list[str]


class StreamList(_Out):
    streams: list[StreamOut]


class StreamDetail(StreamOut):
    last_events: list[dict[str, Any]]


class InvalidOut(_Out):
    index: int
    field: str
    reason: str


class PublishOut(_Out):
    stream: str
    accepted: int
    duplicates: int
    dead_lettered: int
    first_offset: int | None = None
    last_offset: int | None = None
    invalid: list[InvalidOut]


class ConsumeIn(_Out):
    consumer: str = Field(min_length=1, max_length=200)
    batch_size: int = Field(default=100, ge=1, le=10_000)


class ConsumeOut(_Out):
    events: list[dict[str, Any]]


class AckIn(_Out):
    consumer: str = Field(min_length=1, max_length=200)
    up_to: int = Field(ge=0)


class AckOut(_Out):
    consumer: str
    acked_offset: int


class DeadLetterOut(_Out):
    stream: str
    consumer: str | None = None
    offset: int | None = None
    event_id: str | None = None
    source: str | None = None
    payload: str | None = None
    reason: str
    dead_at: datetime


class DeadLetterList(_Out):
    dead_letters: list[DeadLetterOut]


def _principal(request: Request) -> Principal:
    principal: Principal = request.scope["interlace.principal"]
    return principal


def _authorize(svc: Service, request: Request, name: str, action: str) -> None:
    """The stream's own rule: a minimum scope for ``action`` (publish | read), named keys."""
    auth = svc.workspace.streams.spec(name).config.auth
    principal = _principal(request)
    needed = auth.publish_scope if action == "publish" else auth.read_scope
    if not principal.allows(needed):
        raise ApiError("FORBIDDEN", f"key '{principal.name}' has scope '{principal.scope}'; to "
                                    f"{action} stream '{name}' it needs '{needed}' "
                                    f"(streams.{name}.auth.{action}_scope)",
                       {"required_scope": needed, "key_scope": principal.scope})
    if auth.keys and principal.source != "anonymous" and principal.name not in auth.keys:
        raise ApiError("FORBIDDEN", f"key '{principal.name}' may not {action} stream '{name}': "
                                    f"streams.{name}.auth.keys lists {', '.join(auth.keys)}",
                       {"allowed_keys": auth.keys})


def _rate_limit(request: Request, svc: Service, name: str) -> None:
    limit = svc.workspace.streams.spec(name).config.rate_limit
    if limit is None:
        return
    limiters: dict[str, RateLimiter] = request.app.state.__dict__.setdefault("stream_limiters", {})
    limiter = limiters.get(name)
    if limiter is None or (limiter.rate, limiter.burst) != (limit.rate, limit.burst):
        limiter = limiters[name] = RateLimiter(limit.rate, limit.burst)
    principal = _principal(request)
    wait = limiter.take(f"{principal.source}:{principal.name}")
    if wait > 0:
        retry = limiter.retry_after(wait)
        raise ApiError("RATE_LIMITED", f"stream '{name}' accepts {limit.rate:g} requests/s per key "
                                       f"(burst {limit.burst}); retry in {retry}s",
                       {"retry_after": int(retry)}, headers={"Retry-After": retry})


def _parse(body: bytes, content_type: str) -> list[Any]:
    """A JSON object, a JSON array, or NDJSON (one object per line)."""
    text = body.decode("utf-8", errors="strict") if body else ""
    if not text.strip():
        raise ApiError("VALIDATION_ERROR", "the request body is empty: send a JSON object, a JSON "
                                           "array of objects, or NDJSON (one object per line)")
    if "ndjson" not in content_type and "jsonl" not in content_type:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            if "\n" not in text.strip():
                raise ApiError("VALIDATION_ERROR", f"the body is not JSON: {exc.msg} at line "
                                                   f"{exc.lineno} column {exc.colno}") from None
        else:
            return parsed if isinstance(parsed, list) else [parsed]
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ApiError("VALIDATION_ERROR", f"NDJSON line {number} is not JSON: {exc.msg} "
                                                   f"at column {exc.colno}") from None
    return events


def _streams(svc: Service) -> Any:
    return svc.workspace.streams


@router.get("/streams", response_model=StreamList, summary="Every stream: size, rate, consumers",
            openapi_extra=requires("read"), responses=responses("PROJECT_ERROR"))
def list_streams(svc: ServiceDep) -> StreamList:
    def read(ws: Any) -> StreamList:
        return StreamList(streams=[StreamOut(**ws.streams.info(n)) for n in sorted(ws.streams.specs)])

    out: StreamList = svc.call(read)
    return out


@router.get("/streams/{name}", response_model=StreamDetail,
            summary="One stream: columns, consumers and their lag, the last events",
            openapi_extra=requires("read"), responses=responses("STREAM_NOT_FOUND"))
def stream_detail(name: StreamName, svc: ServiceDep,
                  last: Annotated[int, Query(ge=0, le=1000)] = 10) -> StreamDetail:
    def read(ws: Any) -> StreamDetail:
        info = ws.streams.info(name)
        return StreamDetail(**info, last_events=_jsonable(ws.streams.tail(name, last)))

    detail: StreamDetail = svc.call(read)
    return detail


_PUBLISH_DOC = {
    **responses("STREAM_NOT_FOUND", "STREAM_EVENT_INVALID", "VALIDATION_ERROR", "PAYLOAD_TOO_LARGE"),
}
_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [{"type": "object"},
                                              {"type": "array", "items": {"type": "object"}}]}},
    "application/x-ndjson": {"schema": {"type": "string"}}}}}


@router.post("/streams/{name}", response_model=PublishOut,
             summary="Publish events (JSON object, array or NDJSON); 200 once they are durable",
             openapi_extra={**requires("read"), **_BODY}, responses=_PUBLISH_DOC)
async def publish(name: StreamName, request: Request, svc: ServiceDep) -> PublishOut:
    streams = _streams(svc)
    try:
        streams.spec(name)
    except InterlaceError as exc:
        raise ApiError("STREAM_NOT_FOUND", exc.message) from None
    _authorize(svc, request, name, "publish")
    _rate_limit(request, svc, name)
    try:
        events = _parse(await request.body(), request.headers.get("content-type", ""))
    except UnicodeDecodeError:
        raise ApiError("VALIDATION_ERROR", "the request body is not UTF-8") from None
    principal = _principal(request)
    future = streams.submit(name, events, source=f"http:{principal.name}")
    try:
        result = await asyncio.wrap_future(future)
    except EventsRejected as exc:
        raise ApiError("STREAM_EVENT_INVALID", exc.message,
                       {"invalid": [i.to_dict() for i in exc.invalid[:100]]}) from None
    return PublishOut(**result.to_dict())


@router.post("/streams/{name}/consume", response_model=ConsumeOut,
             summary="Take the next events for a consumer (at least once: acknowledge them)",
             openapi_extra=requires("read"), responses=responses("STREAM_NOT_FOUND"))
def consume(name: StreamName, body: ConsumeIn, request: Request, svc: ServiceDep) -> ConsumeOut:
    _authorize(svc, request, name, "read")
    events = _streams(svc).consume(name, body.consumer, body.batch_size)
    return ConsumeOut(events=_jsonable(events))


@router.post("/streams/{name}/ack", response_model=AckOut,
             summary="Acknowledge every event up to an offset for a consumer",
             openapi_extra=requires("read"), responses=responses("STREAM_NOT_FOUND", "STATE_ERROR"))
def ack(name: StreamName, body: AckIn, request: Request, svc: ServiceDep) -> AckOut:
    _authorize(svc, request, name, "read")
    acked = _streams(svc).ack(name, body.consumer, body.up_to)
    return AckOut(consumer=body.consumer, acked_offset=acked)


@router.get("/streams/{name}/dead_letters", response_model=DeadLetterList,
            summary="Events refused at ingest or given up on by a consumer",
            openapi_extra=requires("read"), responses=responses("STREAM_NOT_FOUND"))
def dead_letters(name: StreamName, request: Request, svc: ServiceDep,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> DeadLetterList:
    _authorize(svc, request, name, "read")
    _streams(svc).spec(name)
    rows = _streams(svc).dead_letters(name, limit)
    return DeadLetterList(dead_letters=[DeadLetterOut(**d.to_dict()) for d in rows])


_SSE_DOC = {
    **responses("STREAM_NOT_FOUND"),
    200: {"description": "`event: event` / `data: <json>` messages, one per stored event",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
}


@router.get("/streams/{name}/subscribe", response_class=StreamingResponse,
            summary="New events of a stream as server-sent events", openapi_extra=requires("read"),
            responses=_SSE_DOC)
async def subscribe(name: StreamName, request: Request, svc: ServiceDep,
                    after: Annotated[int | None, Query(ge=0, description="start after this offset "
                                                       "(default: only events from now on)")] = None,
                    ) -> StreamingResponse:
    streams = _streams(svc)
    streams.spec(name)
    _authorize(svc, request, name, "read")
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def committed(stream: str, count: int, last: int) -> None:
        if stream == name:
            loop.call_soon_threadsafe(wake.set)

    if after is None:
        last_events = await asyncio.to_thread(streams.tail, name, 1)
        after = last_events[-1]["_offset"] if last_events else 0

    async def stream() -> AsyncIterator[str]:
        position = after
        remove = streams.on_commit(committed)
        try:
            yield ": connected\n\n"
            while True:
                rows = await asyncio.to_thread(streams.tail, name, 500, after=position)
                for row in _jsonable(rows):
                    position = row["_offset"]
                    yield f"id: {position}\nevent: event\ndata: {json.dumps(row)}\n\n"
                if len(rows) == 500:
                    continue
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
        finally:
            remove()

    return StreamingResponse(stream(), media_type="text/event-stream")


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(r, default=str)) for r in rows]
