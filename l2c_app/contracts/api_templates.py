"""Typed REST routes for contract templates and a draft contract's signers.

    GET    /api/v1/contract-templates                    list (?updated_since=)
    POST   /api/v1/contract-templates                    {name, body, is_default?}
    GET    /api/v1/contract-templates/{id}
    PATCH  /api/v1/contract-templates/{id}               {name?, body?, is_default?}
    DELETE /api/v1/contract-templates/{id}               archive (contracts made from it keep their text)
    GET    /api/v1/contracts/{id}/signers                list (?updated_since=)
    POST   /api/v1/contracts/{id}/signers                {kind, name?, email?, contact_id?, user_id?, routing_order?}
    DELETE /api/v1/contracts/{id}/signers/{signer_id}    only while the contract is a draft

The rules (merge fields known, one default, signers chosen on a draft, another client's
contact refused) live in `contracts.merge` and `contracts.service`. Threat model:
`require("contracts")`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, changed_since
from l2c_app.contracts import merge, records
from l2c_app.contracts import service as svc
from l2c_app.contracts.models import ContractSigner, ContractTemplate
from l2c_app.core.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["contracts"])
auth = require("contracts")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=200_000, description="text with {{merge.fields}}")]
    is_default: StrictBool = False


class TemplatePatch(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    body: Annotated[str, Field(min_length=1, max_length=200_000)] | None = None
    is_default: StrictBool | None = Field(
        None, description="true makes it the default (false is refused: make another one the default instead)"
    )


class TemplateOut(BaseModel):
    id: int
    name: str
    body: str
    is_default: bool
    fields: list[str]
    updated_at: datetime


class TemplateList(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None = None


class SignerIn(_In):
    kind: str = Field("signer", description="signer, countersigner or cc")
    name: Annotated[str, Field(max_length=200)] = ""
    email: Annotated[str, Field(max_length=320)] = ""
    contact_id: StrictInt | None = None
    user_id: StrictInt | None = Field(None, description="a team member (the counter-signer)")
    routing_order: Annotated[StrictInt, Field(ge=1, le=99)] | None = None


class SignerOut(BaseModel):
    id: int
    contract_id: int
    kind: str
    routing_order: int
    name: str
    email: str
    status: str
    signed_at: datetime | None
    updated_at: datetime


class SignerList(BaseModel):
    items: list[SignerOut]
    next_cursor: str | None = None


def _template(t: ContractTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.id,
        name=t.name,
        body=t.body,
        is_default=t.is_default,  # type: ignore[arg-type]
        fields=merge.field_names(t.body),
        updated_at=t.updated_at,
    )


def _live(session: Session, template_id: int) -> ContractTemplate:
    row = session.get(ContractTemplate, template_id)
    if row is None or row.archived_at is not None:
        raise merge.TemplateError("No such template.", "template_id", kind="not_found")
    return row


def _signer(s: ContractSigner) -> SignerOut:
    return SignerOut(
        id=s.id,
        contract_id=s.contract_id,
        kind=s.kind,
        routing_order=s.routing_order,  # type: ignore[arg-type]
        name=s.name,
        email=s.email,
        status=s.status,
        signed_at=s.signed_at,
        updated_at=s.updated_at,
    )


@router.get("/contract-templates", response_model=TemplateList)
def list_templates(
    updated_since: datetime | None = UPDATED_SINCE, session: Session = Depends(db), _: Principal = Depends(auth)
) -> TemplateList:
    rows = changed_since(merge.list_templates(session), updated_since)
    return TemplateList(items=[_template(t) for t in rows])


@router.post("/contract-templates", status_code=201, response_model=TemplateOut)
def create_template(body: TemplateIn, session: Session = Depends(db), who: Principal = Depends(auth)) -> TemplateOut:
    row = merge.save_template(session, who.actor, None, body.name, body.body, make_default=body.is_default)
    session.flush()
    return _template(row)


@router.get("/contract-templates/{template_id}", response_model=TemplateOut)
def get_template(template_id: int, session: Session = Depends(db), _: Principal = Depends(auth)) -> TemplateOut:
    return _template(_live(session, template_id))


@router.patch("/contract-templates/{template_id}", response_model=TemplateOut)
def patch_template(
    template_id: int, body: TemplatePatch, session: Session = Depends(db), who: Principal = Depends(auth)
) -> TemplateOut:
    row = _live(session, template_id)
    if body.is_default is False and row.is_default:
        raise merge.TemplateError("Make another template the default instead.", "is_default", kind="conflict")
    row = merge.save_template(
        session,
        who.actor,
        template_id,
        body.name or row.name,
        body.body or row.body,
        make_default=bool(body.is_default),
    )
    session.flush()
    return _template(row)


@router.delete("/contract-templates/{template_id}", status_code=204)
def archive_template(template_id: int, session: Session = Depends(db), who: Principal = Depends(auth)) -> Response:
    _live(session, template_id)
    merge.archive_template(session, who.actor, template_id)
    return Response(status_code=204)


@router.get("/contracts/{contract_id}/signers", response_model=SignerList)
def list_signers(
    contract_id: int,
    updated_since: datetime | None = UPDATED_SINCE,
    session: Session = Depends(db),
    _: Principal = Depends(auth),
) -> SignerList:
    records._get(session, contract_id)
    return SignerList(items=[_signer(s) for s in changed_since(svc.signers_of(session, contract_id), updated_since)])


@router.post("/contracts/{contract_id}/signers", status_code=201, response_model=SignerOut)
def add_signer(
    contract_id: int, body: SignerIn, session: Session = Depends(db), who: Principal = Depends(auth)
) -> SignerOut:
    signer = svc.add_signer(
        session,
        who.actor,
        contract_id,
        kind=body.kind,
        name=body.name,
        email=body.email,
        routing_order=body.routing_order,
        contact_id=body.contact_id,
        user_id=body.user_id,
    )
    session.flush()
    return _signer(signer)


@router.delete("/contracts/{contract_id}/signers/{signer_id}", status_code=204)
def remove_signer(
    contract_id: int, signer_id: int, session: Session = Depends(db), who: Principal = Depends(auth)
) -> Response:
    svc.remove_signer(session, who.actor, signer_id, contract_id)
    return Response(status_code=204)
