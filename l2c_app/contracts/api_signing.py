"""Typed REST routes for signing a contract: on behalf of a signer (staff records a
signature given on paper or in person), and the signer's own link as JSON.

    POST /api/v1/contracts/{id}/signers/{signer_id}/sign     recorded on behalf
    POST /api/v1/contracts/{id}/signers/{signer_id}/decline  recorded on behalf
    GET  /api/public/sign/{token}                            what the signer reads
    POST /api/public/sign/{token}                            sign (consent + typed name)
    POST /api/public/sign/{token}/decline                    decline with a reason

Threat model: v1 routes need `require("contracts")`. The public routes take the signing
token as the credential, with the same checks as the signing page (`signing._by_token`:
live, not expired, the signer's turn, the contract not finished); an unknown token is 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlmodel import Session

from l2c_app.api.deps import client_ip, db, require
from l2c_app.contracts import on_behalf
from l2c_app.contracts import service as svc
from l2c_app.contracts.api_models import ContractOut
from l2c_app.core.auth import Principal

router = APIRouter(prefix="/api/v1", tags=["contracts"])
public = APIRouter(prefix="/api/public", tags=["public"])
auth = require("contracts")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


How = Literal["paper", "in_person", "email", "other"]


class SignOnBehalf(_In):
    typed_name: Annotated[str, Field(min_length=2, max_length=200)]
    how: How


class DeclineOnBehalf(_In):
    reason: Annotated[str, Field(min_length=3, max_length=500)]
    how: How


class PublicSign(_In):
    consent: StrictBool
    typed_name: Annotated[str, Field(min_length=2, max_length=200)]


class PublicDecline(_In):
    reason: Annotated[str, Field(min_length=3, max_length=500)]


class OtherSigner(BaseModel):
    """Another party of the contract as the signer sees it."""

    name: str
    status: str
    role: str


class SigningOut(BaseModel):
    contract_id: int
    signer_id: int
    title: str
    body: str
    org_name: str
    signer_name: str
    signer_email: str
    status: str
    others: list[OtherSigner]


class SignedOut(BaseModel):
    contract_id: int
    status: str


@router.post("/contracts/{contract_id}/signers/{signer_id}/sign", response_model=ContractOut)
def sign_on_behalf(
    contract_id: int,
    signer_id: int,
    body: SignOnBehalf,
    request: Request,
    session: Session = Depends(db),
    who: Principal = Depends(auth),
) -> ContractOut:
    """Record the signer's signature (their turn, as the link would): the trail says who recorded it and how."""
    contract = on_behalf.sign_on_behalf(
        session, who.actor, contract_id, signer_id, typed_name=body.typed_name, how=body.how, ip=client_ip(request)
    )
    session.flush()
    return ContractOut(**svc.contract_json(session, contract))


@router.post("/contracts/{contract_id}/signers/{signer_id}/decline", response_model=ContractOut)
def decline_on_behalf(
    contract_id: int,
    signer_id: int,
    body: DeclineOnBehalf,
    request: Request,
    session: Session = Depends(db),
    who: Principal = Depends(auth),
) -> ContractOut:
    contract = on_behalf.decline_on_behalf(
        session, who.actor, contract_id, signer_id, reason=body.reason, how=body.how, ip=client_ip(request)
    )
    session.flush()
    return ContractOut(**svc.contract_json(session, contract))


@public.get("/sign/{token}", response_model=SigningOut)
def open_signing(token: str, request: Request, session: Session = Depends(db)) -> SigningOut:
    """The document to sign; the first opening marks the signer viewed (as the page does)."""
    view = svc.open_for_signing(session, token, client_ip(request), request.headers.get("user-agent"))
    return SigningOut(**asdict(view))


@public.post("/sign/{token}", response_model=SignedOut)
def public_sign(token: str, body: PublicSign, request: Request, session: Session = Depends(db)) -> SignedOut:
    contract = svc.sign(
        session,
        token,
        consent=body.consent,
        typed_name=body.typed_name,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    return SignedOut.model_validate({"contract_id": contract.id, "status": contract.status})


@public.post("/sign/{token}/decline", response_model=SignedOut)
def public_decline(token: str, body: PublicDecline, request: Request, session: Session = Depends(db)) -> SignedOut:
    contract = svc.decline(
        session, token, reason=body.reason, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    return SignedOut.model_validate({"contract_id": contract.id, "status": contract.status})
