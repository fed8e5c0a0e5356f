"""``GET /api/v1/graph`` and ``GET /api/v1/graph/validate``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from interlace.errors import InterlaceError
from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import GraphEdge, GraphNode, GraphOut, GraphValidation, Problem

router = APIRouter(prefix="/graph", tags=["graph"])


@router.get("", response_model=GraphOut, summary="The dependency graph: models, edges and a build order",
            openapi_extra=requires("read"), responses=responses("PROJECT_ERROR"))
def graph(svc: ServiceDep) -> GraphOut:
    def work(ws: Any) -> GraphOut:
        g = ws.graph()
        models = ws.models
        nodes = [GraphNode(name=n, kind=models[n].kind, materialize=models[n].materialize,
                           tags=list(models[n].tags), sources=list(g.sources[n])) for n in g.order]
        edges = [GraphEdge(source=up, target=n) for n in g.order for up in g.upstream[n]]
        return GraphOut(nodes=nodes, edges=edges, order=list(g.order))

    return svc.call(work)


@router.get("/validate", response_model=GraphValidation,
            summary="Whether the models load and form a graph (unknown references, cycles, duplicates)",
            openapi_extra=requires("read"), responses=responses())
def validate(svc: ServiceDep) -> GraphValidation:
    def work(ws: Any) -> GraphValidation:
        try:
            count = len(ws.models)
            ws.graph()
        except InterlaceError as exc:
            fields = exc.to_dict()
            return GraphValidation(valid=False, models=len(ws.project.models) if ws._project else 0,
                                   problems=[Problem.model_validate({k: fields.get(k) for k in Problem.model_fields})])
        return GraphValidation(valid=True, models=count, problems=[])

    return svc.call(work)
