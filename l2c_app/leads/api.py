"""REST routes of lead capture.

Threat model of `POST /api/v1/leads`: public, anyone may call it without a key (the contact
form of a web site posts here, JSON or form-encoded). It never trusts the body for the owner,
the source or UTM fields unless a valid API key came with it; it limits posts per IP, every
post counted (429 + Retry-After, leads/rate_limit.py); a filled honeypot field (`website`)
gets a normal-looking 201 and stores nothing. An invalid key is a 401 (never silently downgraded to the public path).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session, select

from l2c_app.api import scopes
from l2c_app.api.deps import client_ip, db, optional_principal, require
from l2c_app.api.edge import PARSED_BODY
from l2c_app.api.pagination import UPDATED_SINCE, page
from l2c_app.core.audit import Actor
from l2c_app.core.auth import Principal
from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, NotFound
from l2c_app.core.models import User
from l2c_app.leads import group_commit, rules_cache
from l2c_app.leads import rate_limit as lead_limit
from l2c_app.leads import service as svc
from l2c_app.leads.api_models import ConvertIn, LeadCreated, LeadIn, LeadList, LeadOut
from l2c_app.leads.capture import dedupe_key, is_honeypot, validate
from l2c_app.leads.common import LeadError
from l2c_app.leads.models import Lead
from l2c_app.pipeline.api_models import DealOut
from l2c_app.pipeline.service import deal_json

router = APIRouter(tags=["leads"])
# The lead form reads its body itself (JSON or form-encoded): its schema is documented here.
_LEAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LeadIn.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": LeadIn.model_json_schema()},
        },
    }
}


async def _body(request: Request) -> dict:
    ctype = request.headers.get("content-type", "")
    kind, parsed = request.scope.get(PARSED_BODY, (None, None))  # parsed once by the edge guard (api/edge.py)
    try:
        if ctype.startswith("application/json"):
            data = parsed if kind == "json" else await request.json()
            if not isinstance(data, dict):
                raise ValueError
            return data
        if kind == "form":
            return dict(parsed)
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    except ValueError:
        raise DomainError("send a JSON object or a form-encoded body", "body") from None


class _Limited(Exception):
    def __init__(self, wait: int):
        self.wait = wait


def _capture(
    session: Session,
    data: dict,
    trusted: bool,
    ip: str | None,
    actor: Actor,
    counted: dict | None = None,
    clean: dict | None = None,
) -> dict:
    """The capture of one post. `counted`: where the per-IP count is kept once made, so a capture
    run again (its group-commit batch rolled back: leads/group_commit.py) counts the post once.
    `clean`: the body as `validate` cleaned it, when the route has (not validated twice)."""
    rules = rules_cache.lead_rules(session)  # per process: the limit here, the assignment rules in capture
    if not trusted:
        # Every public post counts (stored, invalid or honeypot); no database statement.
        if counted is None or "wait" not in counted:
            wait = lead_limit.public_post_wait(ip, rules["rate_limit_per_minute"])
            if counted is not None:
                counted["wait"] = wait
        else:
            wait = counted["wait"]
        if wait:
            raise _Limited(wait)
    result = svc.capture(session, data, trusted=trusted, ip=ip, actor=actor, rules=rules, clean=clean)
    if result.lead is None:  # honeypot: look like a success, store nothing
        return {"id": 0, "status": "new"}
    if session.new or session.dirty:
        session.flush()
    body = {"id": result.lead.id, "status": result.lead.status}
    if trusted:
        body["duplicate"] = result.duplicate
    return body


def _batched(data: dict, trusted: bool, ip: str | None, actor: Actor, clean: dict | None = None):
    """The capture as a group-commit work item: a 429 is returned, not raised (raising would roll
    back the batch-mates and write them again one by one)."""
    counted: dict = {}

    def work(session: Session) -> dict | _Limited:
        try:
            return _capture(session, data, trusted, ip, actor, counted, clean)
        except _Limited as exc:
            return exc

    work.dedupe_key = dedupe_key(data)  # type: ignore[attr-defined]  # the batch reads dedupe for all at once
    return work


def _writes(data: dict, trusted: bool) -> dict | None:
    """The cleaned body if it will be stored: not a honeypot, valid (else None: answered at once)."""
    if is_honeypot(data):
        return None
    try:
        return validate(data, trusted)
    except LeadError:
        return None


@router.post(
    "/api/v1/leads",
    status_code=201,
    response_model=LeadCreated,
    response_model_exclude_unset=True,
    openapi_extra=_LEAD_BODY,
    responses={429: {"description": "too many leads from this address (Retry-After)"}},
)
async def create_lead(request: Request, principal: Principal | None = Depends(optional_principal)) -> JSONResponse:
    data = await _body(request)
    # A key trusted with leads (no form throttle, duplicates reported); a read-only key is a web form.
    trusted = (
        principal is not None
        and principal.api_key is not None
        and scopes.allows(principal.api_key.scopes, ("leads",), write=True)
    )
    ip = client_ip(request)
    actor = principal.actor if principal else Actor("web", None, "contact form")
    try:
        clean = _writes(data, trusted)
        if clean is not None:
            # Group commit (leads/group_commit.py): one writer thread stores the leads posted
            # together in one transaction; this answers once that transaction has committed.
            body = await group_commit.submit(_batched(data, trusted, ip, actor, clean))
            if isinstance(body, _Limited):
                raise body
        else:
            # A honeypot or an invalid body: counted against the limit, answered, nothing queued.
            body = await run_db(_capture, data, trusted, ip, actor)
    except _Limited as exc:
        return JSONResponse(
            {"detail": f"Too many leads from this address; retry in {exc.wait} s."},
            429,
            headers={"Retry-After": str(exc.wait)},
        )
    return JSONResponse(body, 201)


@router.get("/api/v1/leads", response_model=LeadList)
def list_leads(
    email: str | None = None,
    status: str | None = Query(None, description="new, qualified, disqualified, converted, merged"),
    owner: str | None = Query(None, description="owner e-mail or user id"),
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require("leads")),
) -> LeadList:
    stmt = select(Lead)
    if email:
        stmt = stmt.where(Lead.email == email.strip().lower())
    if status:
        if status not in svc.STATUSES:
            raise DomainError(f"one of {', '.join(svc.STATUSES)}", "status")
        stmt = stmt.where(Lead.status == status)
    if owner:
        if owner.isdigit():
            stmt = stmt.where(Lead.owner_id == int(owner))
        else:
            user = session.exec(select(User).where(User.email == owner.strip().lower())).first()
            stmt = stmt.where(Lead.owner_id == (user.id if user else -1))
    return LeadList.model_validate(
        page(session, stmt, Lead, cursor, limit, lambda ld: svc.lead_api_json(session, ld), updated_since)
    )


@router.get("/api/v1/leads.csv")
def export_leads(
    q: str = "",
    status: str = "",
    owner: str = "",
    source: str = "",
    age: str = "",
    session: Session = Depends(db),
    _: Principal = Depends(require("leads")),
) -> Response:
    """The Leads page's filtered list as CSV (the page links here; the session cookie authorises)."""
    text = svc.export_csv(
        session, q=q, status=status, owner_id=int(owner) if owner.isdigit() else None, source=source, age=age
    )
    return Response(
        text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="leads.csv"'}
    )


@router.get("/api/v1/leads/{lead_id}", response_model=LeadOut)
def get_lead(lead_id: int, session: Session = Depends(db), _: Principal = Depends(require("leads"))) -> LeadOut:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("no such lead", "lead_id")
    return LeadOut.model_validate(svc.lead_api_json(session, lead))


@router.post("/api/v1/leads/{lead_id}/convert", status_code=201, response_model=DealOut)
def convert_lead(
    lead_id: int,
    body: ConvertIn | None = None,
    session: Session = Depends(db),
    principal: Principal = Depends(require("leads")),
) -> DealOut:
    """Account + Contact + Deal in the first open stage; optional body {"value": minor units, "title"}."""
    data = body or ConvertIn()
    if session.get(Lead, lead_id) is None:
        raise NotFound("no such lead", "lead_id")
    deal = svc.convert(session, principal.actor, lead_id, value_minor=data.value, title=data.title, via="api")
    return DealOut.model_validate(deal_json(session, deal))
