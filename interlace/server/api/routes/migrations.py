"""``GET /api/v1/migrations``: the project's migrations and whether each is applied."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from interlace.server.api.errors import responses
from interlace.server.api.routes import ServiceDep, requires

router = APIRouter(tags=["migrations"])


class MigrationOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    name: str = Field(description="NNN_name, as the files under migrations/ are called")
    applied: bool
    applied_at: datetime | None = None
    reversible: bool = Field(description="whether a .down.sql file exists (the migration can be rolled back)")


class MigrationList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    migrations: list[MigrationOut]


@router.get("/migrations", response_model=MigrationList, summary="The migrations under migrations/ and their status",
            openapi_extra=requires("read"), responses=responses("MIGRATION_ERROR"))
def migrations(svc: ServiceDep) -> MigrationList:
    statuses = svc.call(lambda ws: ws.migrations())
    return MigrationList(migrations=[
        MigrationOut(version=s.version, name=s.name, applied=s.applied_at is not None, applied_at=s.applied_at,
                     reversible=s.reversible) for s in statuses])
