"""``/api/v1/keys`` (admin): list, create (the key is returned once) and revoke stored API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Request

from interlace.errors import UnknownKeyError
from interlace.keys import NewKey
from interlace.server.api.errors import ApiError, responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import KeyCreate, KeyCreated, KeyList, KeyOut
from interlace.state.store import ApiKeyRecord

if TYPE_CHECKING:
    from interlace.workspace import Workspace

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("", response_model=KeyList, summary="Stored API keys (names, ids and scopes; never the keys)",
            openapi_extra=requires("admin"), responses=responses())
def list_keys(svc: ServiceDep) -> KeyList:
    records = svc.read(lambda ws: ws.keys.list(), snapshot=False)
    return KeyList(keys=[KeyOut(**r.to_dict()) for r in records])


@router.post("", response_model=KeyCreated, status_code=201, summary="Create a key; the response shows it once",
             openapi_extra=requires("admin"), responses=responses("VALIDATION_ERROR", "KEY_EXISTS", "READ_ONLY"))
def create(body: KeyCreate, request: Request, svc: ServiceDep) -> KeyCreated:
    def work(ws: Workspace) -> tuple[NewKey, ApiKeyRecord | None]:
        new = ws.keys.create(body.name, body.scope)
        return new, ws.keys.get(new.key_id)

    new, record = svc.call(work)
    request.app.state.keyring.forget()
    assert record is not None and record.created_at is not None  # stored a moment ago
    return KeyCreated(name=new.name, key_id=new.key_id, scope=new.scope, created_at=record.created_at,
                      key=new.key)


@router.delete("/{name}", status_code=204, summary="Revoke the active key called NAME (and its dashboard sessions)",
               openapi_extra=requires("admin"), responses=responses("KEY_NOT_FOUND", "LAST_ADMIN_KEY", "VALIDATION_ERROR"))
def revoke(request: Request, name: Annotated[str, Path(max_length=64)], svc: ServiceDep) -> None:
    env_admins = request.app.state.keyring.env_admins()

    def work(ws: Workspace) -> None:
        admins = [k.name for k in ws.keys.list() if k.scope == "admin" and k.confirmed]
        if not env_admins and admins == [name]:
            raise ApiError("LAST_ADMIN_KEY", f"'{name}' is the last admin key: revoking it would leave no key that "
                           "can manage keys through the API; create another admin key first (POST /api/v1/keys with "
                           "scope admin, or interlace keys create NAME --scope admin)", {"name": name})
        ws.keys.revoke(name)

    try:
        svc.call(work)
    except UnknownKeyError:
        raise ApiError("KEY_NOT_FOUND", f"no active stored key named '{name}' (keys given through environment "
                       "variables are revoked by removing them from service.auth.keys)", {"name": name}) from None
    request.app.state.keyring.forget()
    request.app.state.sessions.end_for(name)
