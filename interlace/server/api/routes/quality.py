"""``/api/v1/quality`` and ``/api/v1/models/{name}/quality``: quality check results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import QualityResultList, QualityResultOut

router = APIRouter(tags=["quality"])

History = Annotated[bool, Query(description="every recorded result, not only the latest of each check")]
Limit = Annotated[int, Query(ge=1, le=5000)]


@router.get("/quality", response_model=QualityResultList, summary="Latest quality check results of every model",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR"))
def quality(svc: ServiceDep, history: History = False, limit: Limit = 500) -> QualityResultList:
    records = svc.read(lambda ws: ws.quality_results(latest=not history, limit=limit),
                       snapshot=False)
    return QualityResultList(results=[QualityResultOut(**r.to_dict()) for r in records])


@router.get("/models/{name}/quality", response_model=QualityResultList,
            summary="A model's quality check results, with failing samples",
            openapi_extra=requires("read"), responses=responses("MODEL_NOT_FOUND", "VALIDATION_ERROR", "PROJECT_ERROR"))
def model_quality(name: Annotated[str, Path(max_length=256)], svc: ServiceDep, history: History = False,
                  limit: Limit = 500) -> QualityResultList:
    records = svc.read(lambda ws: ws.quality_results(name, latest=not history, limit=limit),
                       snapshot=False)
    return QualityResultList(results=[QualityResultOut(**r.to_dict()) for r in records])
