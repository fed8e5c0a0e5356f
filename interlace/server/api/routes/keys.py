"""``/api/v1/keys`` (admin): list, create (the key is returned once) and revoke stored API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from interlace.errors import StateError
from interlace.server.api.errors import ApiError, responses
from interlace.server.api.routes import ServiceDep, requires
from interlace.server.api.schemas import KeyCreate, KeyCreated, KeyList, KeyOut
from interlace.server.keys import create_key

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("", response_model=KeyList, summary="Stored API keys (names, ids and scopes; never the keys)",
            openapi_extra=requires("admin"), responses=responses())
def list_keys(svc: ServiceDep) -> KeyList:
    return KeyList(keys=[KeyOut(**row) for row in svc.call(lambda ws: ws.state.api_keys())])


@router.post("", response_model=KeyCreated, status_code=201, summary="Create a key; the response shows it once",
             openapi_extra=requires("admin"), responses=responses("VALIDATION_ERROR", "KEY_EXISTS", "STATE_ERROR"))
def create(body: KeyCreate, request: Request, svc: ServiceDep) -> KeyCreated:
    def work(ws: Any) -> Any:
        if ws.state.read_only:
            raise StateError("this environment's warehouse is read-only, so keys cannot be stored in it",
                             hint="give keys through environment variables (service.auth.keys) instead")
        try:
            new = create_key(ws.state, body.name, body.scope)
        except StateError as exc:
            raise ApiError("KEY_EXISTS", exc.message, {"name": body.name}) from None
        return new, ws.state.api_key(new.key_id)

    new, record = svc.call(work)
    request.app.state.keyring.forget()
    return KeyCreated(name=new.name, key_id=new.key_id, scope=new.scope, created_at=record["created_at"],
                      key=new.key)


@router.delete("/{name}", status_code=204, summary="Revoke the active key called NAME (and its dashboard sessions)",
               openapi_extra=requires("admin"), responses=responses("KEY_NOT_FOUND", "VALIDATION_ERROR"))
def revoke(request: Request, name: Annotated[str, Path(max_length=64)], svc: ServiceDep) -> None:
    if not svc.call(lambda ws: ws.state.revoke_api_key(name)):
        raise ApiError("KEY_NOT_FOUND", f"no active stored key named '{name}' (keys given through environment "
                       "variables are revoked by removing them from service.auth.keys)", {"name": name})
    request.app.state.keyring.forget()
    request.app.state.sessions.end_for(name)
