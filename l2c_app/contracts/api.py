"""HTTP routes of the contracts stage: REST v1, the DocuSign Connect webhook, and the PDFs.

Threat model:
- `/api/v1/contracts...` need an API key or a signed-in user whose role may open contracts.
- `/api/webhooks/docusign` is public: the HMAC of the raw body is checked before anything
  else (no parsing, no database) and a bad or missing signature is answered 401.
- `/api/sign/{token}/pdf` is public: the signing token is the credential, with the same
  checks as the signing page (live, not expired, contract not finished); `?version=signed`
  gives a signer of a completed contract its signed copy while the link is unexpired.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from l2c_app.api.compose import DraftOut, MessageIn, draft_out, message_of
from l2c_app.api.deps import check_scope, db, optional_principal, require
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.contracts import service as svc
from l2c_app.contracts import webhooks
from l2c_app.contracts.api_models import ContractIn, ContractList, ContractOut, VoidIn
from l2c_app.contracts.models import Contract
from l2c_app.core.auth import Principal, can
from l2c_app.core.db import session_scope
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.ports import signatures

router = APIRouter(tags=["contracts"])
log = logging.getLogger(__name__)


def require_any(*sections: str):
    """The signed contract is downloadable from the contract, the deal and the project pages:
    a user whose role opens any of those sections may fetch it (API keys always may)."""

    def dependency(request: Request, principal: Principal | None = Depends(optional_principal)) -> Principal:
        if principal is None:
            raise HTTPException(
                401,
                "Authentication required: send 'Authorization: Bearer <API key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.user is not None and not any(can(principal.user.role, s) for s in sections):
            raise HTTPException(403, f"The role '{principal.user.role}' may not download contracts")
        check_scope(principal, sections, request.method)
        return principal

    return dependency


def _pdf(filename: str, data: bytes) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _provider_error(exc: Exception) -> HTTPException:
    """DocuSign failed (an outage, not the caller's mistake): 502 names the provider."""
    return HTTPException(502, f"provider: {exc}")


@router.get("/api/v1/contracts", response_model=ContractList)
def list_contracts(
    deal_id: int | None = None,
    status: str | None = None,
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _p: Principal = Depends(require("contracts")),
) -> ContractList:
    stmt = select(Contract)
    if deal_id:
        stmt = stmt.where(Contract.deal_id == deal_id)
    if status:
        if status not in svc.STATUSES:
            raise DomainError(f"one of {', '.join(svc.STATUSES)}", "status")
        stmt = stmt.where(Contract.status == status)
    return ContractList(
        **page(session, stmt, Contract, cursor, limit, lambda c: svc.contract_json(session, c), updated_since)
    )


@router.post("/api/v1/contracts", status_code=201, response_model=ContractOut)
def create_contract(
    body: ContractIn,
    session: Session = Depends(db),
    principal: Principal = Depends(require("contracts")),
) -> ContractOut:
    """Body: `quote_id` (an accepted quote) or `deal_id`; optional `template_id`, `title`,
    `signers` [{kind: signer|countersigner|cc, name, email, routing_order, contact_id, user_id}]."""
    quote_id, deal_id, template_id = body.quote_id, body.deal_id, body.template_id
    if not quote_id and not deal_id:
        raise DomainError("give quote_id (an accepted quote) or deal_id", "quote_id")
    if quote_id:
        contract = svc.create_from_quote(session, principal.actor, quote_id, template_id, body.title)
    else:
        contract = svc.create_from_deal(session, principal.actor, deal_id, template_id, body.title)
    if body.signers is not None:
        for existing in svc.signers_of(session, contract.id):  # the caller decides who signs
            session.delete(existing)
        session.flush()
        for item in body.signers:
            svc.add_signer(
                session,
                principal.actor,
                contract.id,
                kind=item.kind,
                name=item.name or "",
                email=item.email or "",
                routing_order=item.routing_order,
                contact_id=item.contact_id,
                user_id=item.user_id,
            )
    session.flush()
    return ContractOut(**svc.contract_json(session, contract))


@router.get("/api/v1/contracts/{contract_id}", response_model=ContractOut)
def get_contract(
    contract_id: int, session: Session = Depends(db), _p: Principal = Depends(require("contracts"))
) -> ContractOut:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("no such contract", "contract_id")
    return ContractOut(**svc.contract_json(session, contract))


class ContractSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Annotated[str, Field(max_length=20)] | None = Field(
        None, description="builtin or docusign (default: DocuSign when configured)"
    )
    message: MessageIn | None = Field(
        None,
        description="the invitation's cc, subject and body (its `to` is not "
        "taken: the signers are the recipients); without it, the default e-mail",
    )


@router.post("/api/v1/contracts/{contract_id}/send", response_model=ContractOut)
def send_contract(
    contract_id: int,
    payload: ContractSendIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("contracts")),
) -> ContractOut:
    """Optional body `{"provider": "builtin" | "docusign", "message": {cc, subject, body}}`."""
    payload = payload or ContractSendIn()
    from l2c_app.ports.signatures import SignatureRefused

    try:
        contract = svc.send(
            session, principal.actor, contract_id, payload.provider, message=message_of(payload.message)
        )
    except SignatureRefused as exc:
        raise _provider_error(exc) from exc
    return ContractOut(**svc.contract_json(session, contract))


@router.get("/api/v1/contracts/{contract_id}/email-draft", response_model=DraftOut)
def contract_email_draft(
    contract_id: int, session: Session = Depends(db), principal: Principal = Depends(require("contracts"))
) -> DraftOut:
    """The composer's draft of the signing invitation (to: the first signers, not editable)."""
    if session.get(Contract, contract_id) is None:
        raise NotFound("no such contract", "contract_id")
    return DraftOut(**draft_out(svc.email_draft(session, principal.actor, contract_id)))


@router.post("/api/v1/contracts/{contract_id}/void", response_model=ContractOut)
def void_contract(
    contract_id: int,
    body: VoidIn,
    session: Session = Depends(db),
    principal: Principal = Depends(require("contracts")),
) -> ContractOut:
    """Body `{"reason": "..."}` (required). Signing links stop working at once."""
    from l2c_app.ports.signatures import SignatureRefused

    try:
        contract = svc.void(session, principal.actor, contract_id, body.reason or "")
    except SignatureRefused as exc:
        raise _provider_error(exc) from exc
    return ContractOut(**svc.contract_json(session, contract))


@router.get("/api/v1/contracts/{contract_id}/pdf")
def contract_pdf(
    contract_id: int,
    version: str = Query("current", pattern="^(current|original)$"),
    session: Session = Depends(db),
    _p: Principal = Depends(require_any("contracts", "pipeline", "projects", "invoices")),
) -> Response:
    """The signed PDF when signed, else the sent original, else a draft preview;
    `?version=original` gives the document as it was sent."""
    filename, data = svc.contract_pdf(session, contract_id, version)
    return _pdf(filename, data)


@router.get("/api/sign/{token}/pdf")
def signing_pdf(token: str, version: str = "original", session: Session = Depends(db)) -> Response:
    # version=signed: the signed copy, once everyone signed, for a signer of it (the last one
    # downloads it from the signing page at once). A dead link is a SigningLinkError: 404.
    if version == "signed":
        filename, data = svc.signed_copy(session, token)
    else:
        filename, data = svc.signing_pdf(session, token)
    return _pdf(filename, data)


@router.post("/api/webhooks/docusign")
async def docusign_webhook(request: Request) -> JSONResponse:
    raw = await request.body()
    # 1. Authenticity first: nothing is parsed or stored for an unsigned or forged body.
    if not signatures.provider(signatures.DOCUSIGN).verify_message(raw, request.headers.items()):
        return JSONResponse({"detail": "X-DocuSign-Signature-1: invalid or missing HMAC signature"}, 401)
    # 2. Record the raw event (deduplicated), then 3. apply it.
    try:
        row_id, handled = await asyncio.to_thread(webhooks.record, raw, dict(request.headers))
    except ValueError as exc:  # not JSON, or not a Connect message
        return JSONResponse({"detail": f"body: {exc}"}, 400)
    if handled:
        return JSONResponse({"status": "duplicate"})

    def apply() -> str:
        with session_scope() as session:
            return webhooks.apply(session, row_id)

    try:
        outcome = await asyncio.to_thread(apply)
    except Exception as exc:  # recorded as failed; DocuSign retries on a 5xx
        log.exception("DocuSign event %s failed", row_id)
        await asyncio.to_thread(webhooks.mark_failed, row_id, f"{type(exc).__name__}: {exc}")
        return JSONResponse({"detail": "event recorded, processing failed; retry"}, 503)
    from l2c_app.core.logs import event

    event("l2c.webhooks", provider="docusign", status=200, outcome=outcome, row=row_id)
    return JSONResponse({"status": outcome})
