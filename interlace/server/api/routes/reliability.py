"""``/api/v1/dlq`` (the dead-letter queue), ``/api/v1/breakers`` (circuit breakers) and
``/api/v1/schedules/{name}/pause|resume``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires

router = APIRouter(tags=["reliability"])
LetterId = Annotated[int, Path(ge=1, le=2**62)]
ScheduleName = Annotated[str, Path(min_length=1, max_length=300)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeadLetterOut(_Out):
    id: int
    kind: str  # schedule | model
    status: str  # open | resolved
    attempts: int
    created_at: datetime
    schedule: str | None = None
    model: str | None = None
    scheduled_at: datetime | None = None
    run_id: str | None = None
    error: str | None = None
    payload: dict[str, Any] | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    retry_run_ids: list[str] | None = None


class DeadLetterList(_Out):
    dead_letters: list[DeadLetterOut]


class RetryStarted(_Out):
    id: int
    run_id: str


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class BreakerOut(_Out):
    connection: str
    status: str  # closed | open | half_open
    failures: int
    opened_at: datetime | None = None
    last_error: str | None = None
    updated_at: datetime | None = None


class BreakerList(_Out):
    breakers: list[BreakerOut]


class PauseOut(_Out):
    name: str
    paused: bool
    next_fire_at: datetime | None = None


@router.get("/dlq", response_model=DeadLetterList, summary="Dead letters: failures that spent their retries",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR"))
def dead_letters(svc: ServiceDep, status: Literal["open", "resolved", "all"] = "open",
                 limit: Annotated[int, Query(ge=1, le=10000)] = 100) -> DeadLetterList:
    records = svc.call(lambda ws: ws.dlq.list(None if status == "all" else status, limit=limit))
    return DeadLetterList(dead_letters=[DeadLetterOut(**r.to_dict()) for r in records])


@router.get("/dlq/{letter_id}", response_model=DeadLetterOut, summary="One dead letter",
            openapi_extra=requires("read"), responses=responses("DEAD_LETTER_NOT_FOUND", "VALIDATION_ERROR"))
def dead_letter(letter_id: LetterId, svc: ServiceDep) -> DeadLetterOut:
    return DeadLetterOut(**svc.call(lambda ws: ws.dlq.get(letter_id)).to_dict())


@router.post("/dlq/{letter_id}/retry", response_model=RetryStarted, status_code=202,
             summary="Run a dead letter's models again in the background; a success resolves it",
             openapi_extra=requires("run"),
             responses=responses("DEAD_LETTER_NOT_FOUND", "VALIDATION_ERROR", "RUN_IN_PROGRESS", "PROJECT_ERROR"))
def retry(letter_id: LetterId, svc: ServiceDep) -> RetryStarted:
    run_id = svc.call(lambda ws: ws.dlq.start_retry(letter_id, svc.call))
    return RetryStarted(id=letter_id, run_id=run_id)


@router.post("/dlq/{letter_id}/resolve", response_model=DeadLetterOut, summary="Mark a dead letter handled",
             openapi_extra=requires("run"), responses=responses("DEAD_LETTER_NOT_FOUND", "VALIDATION_ERROR"))
def resolve(letter_id: LetterId, body: ResolveRequest, svc: ServiceDep) -> DeadLetterOut:
    return DeadLetterOut(**svc.call(lambda ws: ws.dlq.resolve(letter_id, body.note)).to_dict())


@router.get("/breakers", response_model=BreakerList, summary="The circuit breaker of each connection that failed",
            openapi_extra=requires("read"), responses=responses())
def breakers(svc: ServiceDep) -> BreakerList:
    return BreakerList(breakers=[BreakerOut(**b.to_dict()) for b in svc.call(lambda ws: ws.breakers())])


@router.post("/breakers/{connection}/reset", response_model=BreakerList, summary="Close a connection's breaker",
             openapi_extra=requires("admin"), responses=responses("VALIDATION_ERROR"))
def reset_breaker(connection: Annotated[str, Path(min_length=1, max_length=300)], svc: ServiceDep) -> BreakerList:
    from interlace.errors import InvalidOptionError

    if not svc.call(lambda ws: ws.reset_breaker(connection)):
        raise InvalidOptionError(f"connection '{connection}' has no circuit breaker",
                                 hint="GET /api/v1/breakers lists them")
    return breakers(svc)


def _pause(name: str, paused: bool, svc: Any) -> PauseOut:
    from interlace.scheduler import Scheduler

    scheduler = svc.scheduler or Scheduler(svc.workspace, call=svc.call)
    if paused:
        scheduler.pause(name)
    else:
        scheduler.resume(name)
    record = svc.call(lambda ws: ws.schedule_records()[name])
    return PauseOut(name=name, paused=bool(record.paused), next_fire_at=record.next_fire_at)


@router.post("/schedules/{name}/pause", response_model=PauseOut, summary="Stop firing a schedule",
             openapi_extra=requires("run"), responses=responses("SCHEDULE_NOT_FOUND", "VALIDATION_ERROR"))
def pause(name: ScheduleName, svc: ServiceDep) -> PauseOut:
    return _pause(name, True, svc)


@router.post("/schedules/{name}/resume", response_model=PauseOut,
             summary="Fire a schedule again from its next tick (no catch-up of the paused ticks)",
             openapi_extra=requires("run"), responses=responses("SCHEDULE_NOT_FOUND", "VALIDATION_ERROR"))
def resume(name: ScheduleName, svc: ServiceDep) -> PauseOut:
    return _pause(name, False, svc)
