"""API keys over the API (Settings > API keys does the same): list, create with scopes and a
rate limit (the secret is shown once), revoke.

    GET    /api/v1/api-keys
    POST   /api/v1/api-keys          {name, scopes?, rate_limit_per_minute?}
    DELETE /api/v1/api-keys/{id}     revoke (the key answers 401 from then on)

Threat model: `require("settings")` (owners and admins, or a key with settings:write).
A key can neither widen itself nor mint a key with more than it holds: a scoped caller
may only create keys whose scopes it holds itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlmodel import Session, select

from l2c_app.api import scopes
from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.core.auth import Principal, revoke_api_key
from l2c_app.core.errors import Conflict, Forbidden
from l2c_app.core.models import ApiKey

router = APIRouter(prefix="/api/v1", tags=["api keys"])
auth = require("settings")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: list[Annotated[str, Field(max_length=40)]] | None = Field(
        None, max_length=50, description='e.g. ["billing:write", "*:read"]; omitted: full access'
    )
    rate_limit_per_minute: Annotated[StrictInt, Field(ge=1, le=100000)] | None = None


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str] | None
    rate_limit_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="shown once; store it now")


class KeyList(BaseModel):
    items: list[KeyOut]
    next_cursor: str | None = None


def key_json(k: ApiKey) -> dict:
    return {
        "id": k.id,
        "name": k.name,
        "prefix": k.prefix,
        "scopes": k.scopes,
        "rate_limit_per_minute": k.rate_limit_per_minute or scopes.DEFAULT_PER_MINUTE,
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
        "revoked_at": k.revoked_at,
    }


@router.get("/api-keys", response_model=KeyList)
def list_keys(
    updated_since: datetime | None = UPDATED_SINCE, session: Session = Depends(db), _: Principal = Depends(auth)
) -> dict:
    keys = changed_since(session.exec(select(ApiKey).order_by(ApiKey.id)), updated_since)
    return {"items": [key_json(k) for k in keys], "next_cursor": None}


@router.post("/api-keys", status_code=201, response_model=KeyCreated)
def create_key(body: KeyIn, session: Session = Depends(db), who: Principal = Depends(auth)) -> dict:
    wanted = scopes.normalise(body.scopes)
    held = who.api_key.scopes if who.api_key is not None else None
    if held is not None and (
        wanted is None
        or not all(
            scopes.allows(held, scopes.ALIASES.get(s.split(":")[0], (s.split(":")[0],)), s.endswith(":write"))
            for s in wanted
        )
    ):
        raise Forbidden("a key may only create keys with scopes it holds itself", "scopes")
    row, secret = scopes.create_key(session, who.actor, body.name, wanted, body.rate_limit_per_minute)
    return {**key_json(row), "secret": secret}


@router.delete("/api-keys/{key_id}", response_model=KeyOut)
def revoke_key(key_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> dict:
    if who.api_key is not None and who.api_key.id == key_id:
        # An integration does not lock itself out by mistake: another key or Settings revokes it.
        raise Conflict("a key cannot revoke itself; use another key or Settings > API keys", "key_id")
    revoke_api_key(session, who.actor, key_id)
    return key_json(session.get(ApiKey, key_id))
