"""``/api/v1/models``: list with filters, detail, columns, schema history, runs, preview."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from interlace.server import queries
from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import (
    Column,
    ColumnsOut,
    ModelDetail,
    ModelList,
    ModelRunList,
    ModelRunOut,
    ModelSummary,
    PreviewOut,
    SchemaHistoryOut,
    SchemaVersionOut,
)

router = APIRouter(prefix="/models", tags=["models"])

ModelName = Annotated[str, Path(description="the model's name", max_length=256)]
_ERRORS = ("MODEL_NOT_FOUND", "VALIDATION_ERROR", "PROJECT_ERROR")


@router.get("", response_model=ModelList, summary="Models, filtered and paged",
            openapi_extra=requires("read"), responses=responses("VALIDATION_ERROR", "PROJECT_ERROR"))
def list_models(
    svc: ServiceDep,
    search: Annotated[str | None, Query(max_length=200, description="text in the name or description")] = None,
    tag: Annotated[list[str], Query(description="models with every one of these tags")] = [],  # noqa: B006 - FastAPI copies defaults
    schema: Annotated[str | None, Query(max_length=256, description="models written to this schema")] = None,
    kind: Annotated[Literal["sql", "python"] | None, Query()] = None,
    materialize: Annotated[Literal["table", "view", "ephemeral", "none"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    # the summaries are kept until the models or the catalogue change, and each page's JSON with
    # them (readcache): the same page again is answered without reading or encoding anything
    index = svc.read(lambda ws: svc.cache.model_index(ws, svc.generation, queries.model_summaries,
                                                      lambda m: ModelSummary(**m)), snapshot=False)
    needle, tags = (search or "").lower(), set(tag)

    def encode() -> bytes:
        found = [
            row[0] for row in index.rows
            if (not needle or needle in row[1] or needle in row[2]) and tags <= row[3]
            and (schema is None or row[4] == schema) and (kind is None or row[5] == kind)
            and (materialize is None or row[6] == materialize)
        ]
        page = ModelList(total=len(found), models=found[offset:offset + limit])
        return page.model_dump_json().encode()

    query = (needle, tuple(sorted(tags)), schema, kind, materialize, limit, offset)
    return Response(svc.cache.page(index, query, encode), media_type="application/json")


@router.get("/{name}", response_model=ModelDetail, summary="One model: definition, graph neighbours, columns",
            openapi_extra=requires("read"), responses=responses(*_ERRORS))
def model_detail(name: ModelName, svc: ServiceDep) -> ModelDetail:
    detail = svc.call(lambda ws: queries.model_detail(ws, name))
    detail["columns"] = [Column(name=c, type=t) for c, t in detail["columns"]]
    return ModelDetail(**detail)


@router.get("/{name}/columns", response_model=ColumnsOut, summary="A model's columns as built in the warehouse",
            openapi_extra=requires("read"), responses=responses(*_ERRORS))
def model_columns(name: ModelName, svc: ServiceDep) -> ColumnsOut:
    columns = svc.read(lambda ws: ws.columns(name))
    return ColumnsOut(model=name, built=bool(columns), columns=[Column(name=c, type=t) for c, t in columns])


@router.get("/{name}/schema-history", response_model=SchemaHistoryOut,
            summary="Every recorded version of a model's columns, newest first",
            openapi_extra=requires("read"), responses=responses(*_ERRORS))
def model_schema_history(name: ModelName, svc: ServiceDep) -> SchemaHistoryOut:
    versions = svc.read(lambda ws: ws.schema_history(name))
    return SchemaHistoryOut(model=name, versions=[
        SchemaVersionOut(version=v.version, recorded_at=v.recorded_at, run_id=v.run_id,
                         columns=[Column(name=c, type=t) for c, t in v.columns], changes=v.changes)
        for v in versions])


@router.get("/{name}/runs", response_model=ModelRunList, summary="A model's outcomes in past runs, newest first",
            openapi_extra=requires("read"), responses=responses(*_ERRORS))
def model_runs(name: ModelName, svc: ServiceDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> ModelRunList:
    records = svc.read(lambda ws: ws.model_runs(model=name, limit=limit))
    return ModelRunList(model_runs=[
        ModelRunOut.model_validate({k: v for k, v in r.to_dict().items() if k in ModelRunOut.model_fields})
        for r in records])


@router.get("/{name}/preview", response_model=PreviewOut, summary="The first rows of a model's table or view",
            openapi_extra=requires("read"),
            responses=responses(*_ERRORS, "MODEL_NOT_MATERIALIZED", "MODEL_NOT_BUILT"))
def model_preview(name: ModelName, svc: ServiceDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> PreviewOut:
    columns, rows = svc.read(lambda ws: queries.preview(ws, name, limit))
    return PreviewOut(model=name, limit=limit, columns=[Column(name=c, type=t) for c, t in columns], rows=rows)
