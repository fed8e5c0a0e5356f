"""``/api/v1/runs``: start (a ``RunOptions`` body), history, status, model runs, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from interlace.options import RunOptions
from interlace.server.api.errors import ApiError, responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.routes.plan import plan_out
from interlace.server.api.schemas import (
    ModelRunList,
    ModelRunOut,
    RunCancelled,
    RunDetail,
    RunList,
    RunOut,
    RunRequest,
    RunStarted,
    to_options,
)
from interlace.server.service import Service
from interlace.state.store import ModelRunRecord, RunRecord

router = APIRouter(prefix="/runs", tags=["runs"])

RunId = Annotated[str, Path(description="the run's id", max_length=64)]


@router.post("", response_model=RunStarted, status_code=202,
             summary="Start a run in the background (same fields as `interlace run` flags)",
             openapi_extra=requires("run"),
             responses=responses("VALIDATION_ERROR", "MODEL_NOT_FOUND", "RUN_IN_PROGRESS", "PROJECT_ERROR",
                                 "STATE_ERROR"))
def start_run(body: RunRequest, request: Request, svc: ServiceDep) -> RunStarted:  # type: ignore[valid-type]
    options = to_options(RunOptions, body)
    principal = request.scope.get("interlace.principal")
    trigger = f"api:{principal.name}" if principal is not None else "api"
    handle = svc.start_run(options, trigger=trigger)
    return RunStarted(run_id=handle.run_id, status="running" if handle.status == "running" else "queued",
                      plan=plan_out(handle.plan))


@router.get("", response_model=RunList, summary="Run history, newest first",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR"))
def list_runs(svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> RunList:
    records = svc.read(lambda ws: ws.runs.history(limit), snapshot=False)
    return RunList(runs=[_run(r, svc) for r in records])


@router.get("/{run_id}", response_model=RunDetail, summary="A run's status and its models so far",
            openapi_extra=requires("read"), responses=responses("RUN_NOT_FOUND", "VALIDATION_ERROR"))
def get_run(run_id: RunId, svc: ServiceDep) -> RunDetail:
    # one snapshot: the record and its models agree while the run commits; kept once it has ended
    record, model_runs = svc.cache.finished_run(run_id, lambda: svc.read(
        lambda ws: (ws.run_record(run_id), ws.model_runs(run_id=run_id, limit=100_000))))
    return RunDetail(**_run(record, svc).model_dump(), model_runs=[_model_run(r) for r in model_runs])


@router.get("/{run_id}/models", response_model=ModelRunList, summary="The model outcomes of one run",
            openapi_extra=requires("read"), responses=responses("RUN_NOT_FOUND", "VALIDATION_ERROR"))
def run_models(run_id: RunId, svc: ServiceDep) -> ModelRunList:
    model_runs = svc.read(lambda ws: ws.model_runs(run_id=run_id, limit=100_000))
    return ModelRunList(model_runs=[_model_run(r) for r in model_runs])


@router.post("/{run_id}/cancel", response_model=RunCancelled, status_code=202,
             summary="Cancel a running or queued run: running models roll back, queued ones do not start",
             openapi_extra=requires("run"), responses=responses("RUN_NOT_FOUND", "RUN_NOT_ACTIVE", "VALIDATION_ERROR"))
def cancel_run(run_id: RunId, svc: ServiceDep) -> RunCancelled:
    if svc.runs.cancel(run_id):
        return RunCancelled(run_id=run_id, status="cancelling")
    record = svc.read(lambda ws: ws.run_record(run_id), snapshot=False)
    raise ApiError("RUN_NOT_ACTIVE", f"run {run_id} is not running in this server (status: {record.status})",
                   {"run_id": run_id, "status": record.status})


def _run(record: RunRecord, svc: Service) -> RunOut:
    fields = {k: v for k, v in record.to_dict().items() if k in RunOut.model_fields}
    return RunOut.model_validate({**fields, "active": svc.runs.is_active(record.run_id)})


def _model_run(record: ModelRunRecord) -> ModelRunOut:
    return ModelRunOut.model_validate({k: v for k, v in record.to_dict().items() if k in ModelRunOut.model_fields})
