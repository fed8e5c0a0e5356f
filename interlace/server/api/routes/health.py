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
def health(svc: ServiceDep) -> Health:
    # a liveness probe takes no lock and reads nothing: the config is re-read when the project is
    # next used (a plan, the dashboard, GET /api/v1/health); open breakers are kept in memory
    failed = svc.workspace.config_error is not None
    return Health(status="ok", version=__version__, config="error" if failed else "ok",
                  breakers_open=svc.workspace.reliability.breakers.open_connections())


@router.get("/health", response_model=HealthDetail, summary="Readiness: warehouse, project and active runs",
            openapi_extra=requires("read"), responses=responses())
def health_detail(svc: ServiceDep) -> HealthDetail:
    def check(ws: Any) -> tuple[bool, str | None, str, dict[str, str], list[dict[str, Any]]]:
        warehouse = ws.sql("SELECT 1").fetchall() == [(1,)]
        broken: dict[str, str] = {}
        try:
            broken = {name: str(error) for name, error in ws.graph().broken.items()}
            problem = None
        except InterlaceError as exc:
            problem = str(exc)
        breakers = [b.to_dict() for b in ws.breakers() if b.status != "closed"]
        return warehouse, problem, ws.env, broken, breakers

    warehouse, problem, env, broken, breakers = svc.call(check)
    config_error = svc.workspace.config_error
    ok = warehouse and problem is None and config_error is None and not breakers
    return HealthDetail(status="ok" if ok else "degraded", version=__version__,
                        env=env, warehouse=warehouse, project=problem is None, project_error=problem,
                        config_error=str(config_error) if config_error is not None else None,
                        broken_models=broken, active_runs=[h.run_id for h in svc.runs.active()],
                        breakers=breakers)
