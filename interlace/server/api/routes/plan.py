"""``GET /api/v1/plan`` (query string) and ``POST /api/v1/plan`` (a ``PlanOptions`` body)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from interlace.options import PlanOptions
from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import PlanOut, PlanRequest, SchemaPreviewOut, StepOut, to_options
from interlace.server.service import Service

router = APIRouter(prefix="/plan", tags=["plan"])

_ERRORS = responses("VALIDATION_ERROR", "MODEL_NOT_FOUND", "PROJECT_ERROR")


def plan_out(plan: Any, diff: dict[str, Any] | None = None) -> PlanOut:
    data = plan.to_dict()
    previews = [SchemaPreviewOut(**p.to_dict()) for p in diff.values()] if diff is not None else None
    return PlanOut(steps=[StepOut(**s) for s in data["steps"]], selected=data["selected"],
                   builds=len(plan.builds), explain=plan.explain(), diff=previews)


def _plan(svc: Service, options: PlanOptions) -> PlanOut:
    def work(ws: Any) -> PlanOut:
        plan = ws.plan(options.select or None, exclude=options.exclude or None, force=options.force,
                       since=options.since, until=options.until)
        return plan_out(plan, ws.plan_diff(plan) if options.diff else None)

    return svc.call(work)


@router.get("", response_model=PlanOut, summary="What a run would build, and why (writes nothing)",
            openapi_extra=requires("read"), responses=_ERRORS)
def get_plan(svc: ServiceDep, query: Annotated[PlanRequest, Query()]) -> PlanOut:  # type: ignore[valid-type]
    """The query string takes the fields of `interlace plan` (``select`` and ``exclude`` repeat)."""
    return _plan(svc, to_options(PlanOptions, query))


@router.post("", response_model=PlanOut, summary="The plan for a PlanOptions body (same fields as the CLI flags)",
             openapi_extra=requires("read"), responses=_ERRORS)
def post_plan(body: PlanRequest, svc: ServiceDep) -> PlanOut:  # type: ignore[valid-type]
    return _plan(svc, to_options(PlanOptions, body))
