"""``GET /api/v1/project`` and ``GET /api/v1/info``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import InfoOut, ProjectOut

router = APIRouter(tags=["project"])


@router.get("/project", response_model=ProjectOut, summary="The project: directory, env, configuration",
            openapi_extra=requires("read"), responses=responses())
def project(svc: ServiceDep) -> ProjectOut:
    ws = svc.workspace
    loaded = ws.loaded
    conf = loaded.config
    return ProjectOut(
        name=conf.name or ws.root.name, project_dir=str(ws.root), env=ws.env,
        config_files=[str(p.relative_to(ws.root)) for p in loaded.files], models_paths=list(conf.models_paths),
        connections=sorted(conf.connections), default_connection=conf.default_connection,
        default_schema=conf.run.default_schema,
    )


@router.get("/info", response_model=InfoOut, summary="What `interlace info` shows: models and the last run",
            openapi_extra=requires("read"), responses=responses("PROJECT_ERROR"))
def info(svc: ServiceDep) -> InfoOut:
    return InfoOut.model_validate(_info_fields(svc.call(lambda ws: ws.info())))


def _info_fields(data: dict[str, Any]) -> dict[str, Any]:
    last = data.get("last_run")
    if last is not None:
        data = {**data, "last_run": {k: last.get(k) for k in ("run_id", "status", "started_at", "finished_at")}}
    return data
