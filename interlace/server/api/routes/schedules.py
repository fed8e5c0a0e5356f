"""``/api/v1/schedules``, ``/api/v1/scheduler/status`` and ``/api/v1/notebook_runs``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from interlace.server.api.errors import json_errors, responses
from interlace.server.api.routes import ServiceDep, requires

router = APIRouter(tags=["schedules"])


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleOut(_Out):
    name: str
    kind: str  # model | models | notebook | lake
    when: str
    select: list[str]
    notebook: str | None = None
    lake: dict[str, Any] | None = None  # kind lake: checkpoint, expire_older_than_s
    runs: str = ""  # what a fire runs, in a few words
    next_fire_at: datetime | None = None
    last_fire_at: datetime | None = None
    last_status: str | None = None
    last_run_id: str | None = None
    last_finished_at: datetime | None = None
    paused: bool = False
    retry: dict[str, Any] | None = None  # the schedule's retry policy
    overlap: str = "skip"
    max_concurrency: int = 1


class ScheduleList(_Out):
    schedules: list[ScheduleOut]
    errors: dict[str, str]  # schedules that do not load, and why


class SchedulerStatus(_Out):
    running: bool
    started_at: str | None = None
    last_tick_at: str | None = None
    ticks: int = 0
    schedules: list[str] = []
    active: dict[str, list[str]] = {}  # schedule -> scheduled times of its fires running
    pending: dict[str, list[dict[str, Any]]] = {}  # fires waiting to retry (retry_at) or queued
    errors: dict[str, str] = {}
    last_error: str | None = None
    webhook: dict[str, Any] | None = None  # host, delivered, failed (never the URL's path or secret)


class NotebookRunOut(_Out):
    run_id: str
    notebook: str
    status: str
    parameters: dict[str, Any] | None = None
    trigger: str | None = None
    kernel: str | None = None
    pid: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    output_path: str | None = None
    error: str | None = None
    failed_cell: dict[str, Any] | None = None
    models: list[str] | None = None


class NotebookRunList(_Out):
    notebook_runs: list[NotebookRunOut]


@router.get("/schedules", response_model=ScheduleList,
            summary="Every schedule: when it fires next, how its last fire went",
            openapi_extra=requires("read"), responses=responses("PROJECT_ERROR", "CONFIG_ERROR"))
def schedules(svc: ServiceDep) -> ScheduleList:
    def read(ws: Any) -> ScheduleList:
        errors: dict[str, str] = {}
        definitions, records = ws.schedules(errors=errors), ws.schedule_records()
        out = []
        for name, d in definitions.items():
            record = records.get(name)
            last = record.to_dict() if record else {}
            out.append(ScheduleOut(name=name, kind=d.kind, when=d.timing.describe(), select=list(d.select),
                                   notebook=d.notebook, paused=bool(last.get("paused")),
                                   lake=d.lake.to_dict() if d.lake else None, runs=d.runs,
                                   retry=d.retry.to_dict(), overlap=d.overlap,
                                   max_concurrency=d.max_concurrency, **{k: last.get(k) for k in (
                                       "next_fire_at", "last_fire_at", "last_status", "last_run_id",
                                       "last_finished_at")}))
        return ScheduleList(schedules=out, errors=errors)

    return svc.call(read)


@router.get("/scheduler/status", response_model=SchedulerStatus,
            summary="Whether this server runs the scheduler, its last tick and the fires in progress",
            openapi_extra=requires("read"), responses=responses())
def scheduler_status(svc: ServiceDep) -> SchedulerStatus:
    if svc.scheduler is None:
        return SchedulerStatus(running=False, last_error="this server does not run the scheduler "
                               "(started with --no-scheduler, scheduler.enabled: false, or in a notebook)")
    return SchedulerStatus(**svc.scheduler.status())


@router.get("/notebook_runs", response_model=NotebookRunList, summary="Notebook runs, newest first",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR"))
def notebook_runs(svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                  notebook: Annotated[str | None, Query(max_length=1000)] = None) -> NotebookRunList:
    records = svc.call(lambda ws: ws.notebook_runs(notebook=notebook, limit=limit))
    return NotebookRunList(notebook_runs=[NotebookRunOut(**r.to_dict()) for r in records])


@router.get("/notebook_runs/{run_id}/html", response_class=HTMLResponse,
            summary="The archived executed notebook of a run, rendered as a page (outputs escaped)",
            openapi_extra=requires("read"), responses=json_errors(responses("RUN_NOT_FOUND", "VALIDATION_ERROR")))
def notebook_run_page(run_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
                      svc: ServiceDep) -> HTMLResponse:
    from pathlib import Path as FilePath

    from interlace.errors import UnknownRunError
    from interlace.server.dashboard.schedules import PAGE_CSP, notebook_page

    def read(ws: Any) -> tuple[Any, Any]:
        return ws.notebook_run(run_id), ws.root

    record, root = svc.call(read)
    if record is None:
        raise UnknownRunError(f"no notebook run with id '{run_id}'",
                              hint="GET /api/v1/notebook_runs lists them")
    archive = None
    if record.output_path:
        candidate = FilePath(record.output_path)
        candidate = (candidate if candidate.is_absolute() else root / candidate).resolve()
        archive = candidate if candidate.is_relative_to((root / ".interlace").resolve()) else None
    return HTMLResponse(notebook_page(record.to_dict(), archive), headers={"Content-Security-Policy": PAGE_CSP})
