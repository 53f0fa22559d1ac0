"""Typed REST routes of the organisation: its settings (name, currency, time zone), the
seller profile printed on documents, and its users and roles.

    GET/PATCH /api/v1/organisation              name, currency, timezone, locale, hours_format,
                                                allow_future_time, sole_approver_self_approval
    GET/PUT   /api/v1/organisation/seller       the seller profile (all fields at once)
    GET       /api/v1/users                     list
    POST      /api/v1/users                     invite (e-mails a single-use link)
    PATCH     /api/v1/users/{id}                role, active

Threat model: `require("settings")` / `require("team")` (owners and admins, or an API key).
The services keep the rules: at least one owner, nobody deactivates themself, known
time zones and ISO currencies, IBAN/BIC checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlmodel import Session, select

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core import formats, seller
from l2c_app.core.auth import Principal, invite_user, set_active, set_role
from l2c_app.core.models import User
from l2c_app.projects.service import delivery_settings, save_time_rules
from l2c_app.ui import admin_service

router = APIRouter(prefix="/api/v1", tags=["organisation"])

Role = Literal["owner", "admin", "sales", "delivery", "billing"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgOut(BaseModel):
    name: str
    currency: str
    timezone: str
    locale: str = Field(
        description="dates, numbers and money on screens, documents and e-mails: " + ", ".join(formats.LOCALES)
    )
    hours_format: str = Field(description="hm (14:15) or decimal (14.25 h)")
    allow_future_time: bool = Field(description="time may be logged on days after the organisation's today")
    sole_approver_self_approval: bool = Field(description="a project's only approver may approve their own week")


class OrgPatch(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    locale: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    hours_format: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    allow_future_time: StrictBool | None = None
    sole_approver_self_approval: StrictBool | None = None


def _seller_model():
    fields = {f: (Annotated[str, Field(max_length=seller.MAX_LEN[f])], "") for f in seller.FIELDS}
    from pydantic import create_model

    return create_model("SellerProfileIn", __config__=ConfigDict(extra="forbid"), **fields)


SellerIn = _seller_model()


class SellerOut(BaseModel):
    legal_name: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    country: str
    tax_id: str
    iban: str
    bic: str
    account_number: str
    routing_code: str
    display_name: str


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class UserList(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class InviteIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Annotated[str, Field(min_length=3, max_length=320, description="validated by the service")]
    role: Role


class UserPatch(_In):
    role: Role | None = None
    active: StrictBool | None = None


def _user_json(u: User) -> dict:
    return {
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "role": u.role,
        "active": u.is_active,
        "created_at": u.created_at,
        "last_login_at": u.last_login_at,
    }


def _org_json(session: Session) -> dict:
    fmt = formats.formats(session)
    rules = delivery_settings(session)
    return {
        **admin_service.org_settings(session),
        "locale": fmt.locale,
        "hours_format": fmt.hours_format,
        "allow_future_time": rules["allow_future_time"],
        "sole_approver_self_approval": rules["sole_approver_self_approval"],
    }


@router.get("/organisation", response_model=OrgOut)
def get_org(session: Session = Depends(db), _: Principal = Depends(require("settings"))) -> OrgOut:
    return OrgOut(**_org_json(session))


@router.patch("/organisation", response_model=OrgOut)
def update_org(body: OrgPatch, session: Session = Depends(db), who: Principal = Depends(require("settings"))) -> OrgOut:
    """Only the fields given change; each through its owner (admin_service, core.formats,
    projects.service time rules), which checks it and names the field when refused."""
    current = admin_service.org_settings(session)
    if body.name is not None or body.currency is not None or body.timezone is not None:
        admin_service.update_org(
            session,
            who.actor,
            body.name if body.name is not None else current.get("name", ""),
            body.currency or current.get("currency", ""),
            body.timezone or current.get("timezone", ""),
        )
    if body.locale is not None or body.hours_format is not None:
        fmt = formats.formats(session)
        formats.save_formats(
            session, who.actor, locale=body.locale or fmt.locale, hours_format=body.hours_format or fmt.hours_format
        )
    if body.allow_future_time is not None or body.sole_approver_self_approval is not None:
        rules = delivery_settings(session)
        save_time_rules(
            session,
            who.actor,
            allow_future_time=rules["allow_future_time"] if body.allow_future_time is None else body.allow_future_time,
            sole_approver_self_approval=rules["sole_approver_self_approval"]
            if body.sole_approver_self_approval is None
            else body.sole_approver_self_approval,
        )
    return OrgOut(**_org_json(session))


@router.get("/organisation/seller", response_model=SellerOut)
def get_seller(session: Session = Depends(db), _: Principal = Depends(require("settings"))) -> SellerOut:
    return SellerOut(**seller.seller_profile(session))


@router.put("/organisation/seller", response_model=SellerOut)
def put_seller(
    body: SellerIn,
    session: Session = Depends(db),  # type: ignore[valid-type]
    who: Principal = Depends(require("settings")),
) -> SellerOut:
    seller.save_seller_profile(session, who.actor, body.model_dump())  # type: ignore[attr-defined]
    return SellerOut(**seller.seller_profile(session))


@router.get("/users", response_model=UserList)
def list_users(
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    session: Session = Depends(db),
    _: Principal = Depends(require("team")),
) -> UserList:
    return UserList(**page(session, select(User), User, cursor, limit, _user_json, updated_since))


@router.post("/users", status_code=201, response_model=UserOut)
def invite(body: InviteIn, session: Session = Depends(db), who: Principal = Depends(require("team"))) -> UserOut:
    """Invite a person with a role; they choose their password from the e-mailed link."""
    user, _token = invite_user(session, name=body.name, email=str(body.email), role=body.role, actor=who.actor)
    session.flush()
    return UserOut(**_user_json(user))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: int, body: UserPatch, session: Session = Depends(db), who: Principal = Depends(require("team"))
) -> UserOut:
    user = session.get(User, user_id)
    if body.role is not None:
        user = set_role(session, who.actor, user_id, body.role)
    if body.active is not None:
        user = set_active(session, who.actor, user_id, body.active)
    if user is None:
        from l2c_app.core.errors import NotFound

        raise NotFound("No such user.", "user_id")
    return UserOut(**_user_json(user))
