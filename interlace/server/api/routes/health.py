"""``GET /health`` (no key needed) and ``GET /api/v1/health`` (checks the warehouse and project)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from interlace import __version__
from interlace.errors import InterlaceError
from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import Health, HealthDetail

root_router = APIRouter(tags=["health"])
router = APIRouter(tags=["health"])


@root_router.get("/health", response_model=Health, summary="Liveness (no API key needed)",
                 openapi_extra={"security": []}, responses=responses())
def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/health", response_model=HealthDetail, summary="Readiness: warehouse, project and active runs",
            openapi_extra=requires("read"), responses=responses())
def health_detail(svc: ServiceDep) -> HealthDetail:
    def check(ws: Any) -> tuple[bool, str | None, str]:
        warehouse = ws.sql("SELECT 1").fetchall() == [(1,)]
        try:
            ws.graph()
            problem = None
        except InterlaceError as exc:
            problem = str(exc)
        return warehouse, problem, ws.env

    warehouse, problem, env = svc.call(check)
    return HealthDetail(status="ok" if warehouse and problem is None else "degraded", version=__version__,
                        env=env, warehouse=warehouse, project=problem is None, project_error=problem,
                        active_runs=[h.run_id for h in svc.runs.active()])
