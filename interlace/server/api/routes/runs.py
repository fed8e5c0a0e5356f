"""``/api/v1/runs``: start (a ``RunOptions`` body), history, status, model runs, cancel."""

from __future__ import annotations

from typing import Annotated, Any

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
    run = svc.runs.start(options, trigger=trigger)
    return RunStarted(run_id=run.run_id, status="running", plan=plan_out(run.plan))


@router.get("", response_model=RunList, summary="Run history, newest first",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR"))
def list_runs(svc: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> RunList:
    rows = svc.call(lambda ws: ws.state.runs(limit=limit))
    return RunList(runs=[_run(row, svc) for row in rows])


@router.get("/{run_id}", response_model=RunDetail, summary="A run's status and its models so far",
            openapi_extra=requires("read"), responses=responses("RUN_NOT_FOUND", "VALIDATION_ERROR"))
def get_run(run_id: RunId, svc: ServiceDep) -> RunDetail:
    row, model_runs = svc.call(lambda ws: (ws.state.run(run_id), ws.state.model_runs(run_id=run_id, limit=100_000)))
    run = _known(run_id, row, svc)
    return RunDetail(**run.model_dump(), model_runs=[_model_run(r) for r in model_runs])


@router.get("/{run_id}/models", response_model=ModelRunList, summary="The model outcomes of one run",
            openapi_extra=requires("read"), responses=responses("RUN_NOT_FOUND", "VALIDATION_ERROR"))
def run_models(run_id: RunId, svc: ServiceDep) -> ModelRunList:
    row, model_runs = svc.call(lambda ws: (ws.state.run(run_id), ws.state.model_runs(run_id=run_id, limit=100_000)))
    _known(run_id, row, svc)
    return ModelRunList(model_runs=[_model_run(r) for r in model_runs])


@router.post("/{run_id}/cancel", response_model=RunCancelled, status_code=202,
             summary="Cancel a running run: running models roll back, queued ones do not start",
             openapi_extra=requires("run"), responses=responses("RUN_NOT_FOUND", "RUN_NOT_ACTIVE", "VALIDATION_ERROR"))
def cancel_run(run_id: RunId, svc: ServiceDep) -> RunCancelled:
    if svc.runs.cancel(run_id):
        return RunCancelled(run_id=run_id, status="cancelling")
    row = svc.call(lambda ws: ws.state.run(run_id))
    run = _known(run_id, row, svc)
    raise ApiError("RUN_NOT_ACTIVE", f"run {run_id} is not running in this server (status: {run.status})",
                   {"run_id": run_id, "status": run.status})


def _known(run_id: str, row: dict[str, Any] | None, svc: Service) -> RunOut:
    if row is not None:
        return _run(row, svc)
    if svc.runs.is_active(run_id):  # started, but its record is not written yet
        return RunOut(run_id=run_id, status="pending", active=True)
    raise ApiError("RUN_NOT_FOUND", f"no run with id '{run_id}'; GET /api/v1/runs lists recent runs",
                   {"run_id": run_id})


def _run(row: dict[str, Any], svc: Service) -> RunOut:
    fields = {k: row.get(k) for k in RunOut.model_fields if k != "active"}
    return RunOut.model_validate({**fields, "active": svc.runs.is_active(str(row["run_id"]))})


def _model_run(row: dict[str, Any]) -> ModelRunOut:
    return ModelRunOut.model_validate({k: row.get(k) for k in ModelRunOut.model_fields})
