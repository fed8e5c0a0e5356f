"""``/api/v1/lineage``: column lineage edges, a model's lineage trees, and a refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from interlace.lineage.graph import LineageNode
from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import LineageEdgeList, LineageEdgeOut, LineageNodeOut, LineageOut

if TYPE_CHECKING:
    from interlace.workspace import Workspace

router = APIRouter(tags=["lineage"])


@router.get("/lineage", response_model=LineageEdgeList, summary="Every column lineage edge of the project",
            openapi_extra=requires("read"), responses=responses("PROJECT_ERROR"))
def lineage(svc: ServiceDep) -> LineageEdgeList:
    edges = svc.call(lambda ws: ws.lineage().edges)
    return LineageEdgeList(edges=[LineageEdgeOut(model=m, column=c, source=s, source_column=sc, kind=k)
                                  for m, c, s, sc, k in edges])


@router.post("/lineage/refresh", response_model=LineageEdgeList,
             summary="Analyse every SQL model's lineage again against the current catalog",
             openapi_extra=requires("run"), responses=responses("PROJECT_ERROR"))
def refresh(svc: ServiceDep) -> LineageEdgeList:
    edges = svc.call(lambda ws: ws.lineage(refresh=True).edges)
    return LineageEdgeList(edges=[LineageEdgeOut(model=m, column=c, source=s, source_column=sc, kind=k)
                                  for m, c, s, sc, k in edges])


@router.get("/models/{name}/lineage", response_model=LineageOut,
            summary="Where a model's columns come from (or go to), one tree per column",
            openapi_extra=requires("read"), responses=responses("MODEL_NOT_FOUND", "VALIDATION_ERROR", "PROJECT_ERROR"))
def model_lineage(
    name: Annotated[str, Path(max_length=256)],
    svc: ServiceDep,
    column: Annotated[str | None, Query(max_length=256, description="one column (default: every column)")] = None,
    direction: Annotated[Literal["upstream", "downstream"], Query()] = "upstream",
) -> LineageOut:
    def read(ws: Workspace) -> Any:
        ws.project.get(name)
        return ws.lineage().trees(name, column or None, downstream=direction == "downstream")

    return LineageOut(model=name, direction=direction, trees=[_node(t) for t in svc.call(read)])


def _node(node: LineageNode) -> LineageNodeOut:
    return LineageNodeOut(relation=node.relation, column=node.column, kind=node.kind,
                          children=[_node(c) for c in node.children])
