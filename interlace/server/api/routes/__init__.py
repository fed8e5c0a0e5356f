"""One module per group of endpoints; ``ROUTERS`` mounts them.

A later feature adds ``routes/<group>.py`` with a ``router`` whose endpoints declare their scope
with ``openapi_extra=requires("read"|"run"|"admin")`` and the error codes they can answer with
``responses=responses(...)``, then one line in ``ROUTERS``. The route-table test then checks the
new endpoints' authentication and scopes without being told about them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from interlace.server.service import Service

__all__ = ["ROUTERS", "ServiceDep", "requires", "service"]


def requires(scope: str) -> dict[str, Any]:
    """The scope an endpoint needs, read by the auth middleware and shown in the OpenAPI document."""
    return {"x-required-scope": scope}


async def service(request: Request) -> Service:
    """The server's :class:`Service` (one per app). ``async``: FastAPI runs a plain ``def``
    dependency on the threadpool, a hop per request for a dictionary lookup."""
    svc: Service = request.app.state.interlace
    return svc


ServiceDep = Annotated[Service, Depends(service)]


def _routers() -> tuple[tuple[APIRouter, bool], ...]:
    from interlace.server.api.routes import (
        events,
        graph,
        health,
        keys,
        lineage,
        metrics,
        migrations,
        models,
        plan,
        project,
        quality,
        reliability,
        runs,
        schedules,
        streams,
    )

    # (router, mounted under /api/v1?) — /health is at the root so that probes need no prefix
    return (
        (health.root_router, False),
        (health.router, True),
        (project.router, True),
        (models.router, True),
        (graph.router, True),
        (plan.router, True),
        (runs.router, True),
        (quality.router, True),
        (lineage.router, True),
        (migrations.router, True),
        (events.router, True),
        (keys.router, True),
        (schedules.router, True),
        (streams.router, True),
        (reliability.router, True),
        (metrics.root_router, False),
    )


ROUTERS = _routers
