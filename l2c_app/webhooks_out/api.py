"""REST routes of outbound webhooks: `/api/v1/webhook-endpoints` (+ rotate-secret, deliveries, replay).

Threat model: owners and admins (the "settings" section) or an API key. A saved URL makes the
server send requests, so it is checked like every delivery (targets.py: http(s), public
addresses only). The signing secret is in the answer of POST and of rotate-secret only;
every other answer leaves it out. Errors are `{"detail": "<field>: ...", "error": {...}}`.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from l2c_app.api.deps import db, require
from l2c_app.api.pagination import UPDATED_SINCE, decode_cursor, encode_cursor, page
from l2c_app.core.auth import Principal
from l2c_app.webhooks_out import service as svc
from l2c_app.webhooks_out.models import WebhookDelivery, WebhookEndpoint

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
SECTION = "settings"


class EndpointIn(BaseModel):
    url: str = Field(
        description="https:// (or http://) URL on a public address that receives the POSTs", max_length=2000
    )
    event_types: list[str] = Field(
        default_factory=lambda: ["*"], description='event types to send, or ["*"] for every event'
    )
    description: str = Field("", max_length=500)
    enabled: bool = True


class EndpointPatch(BaseModel):
    url: str | None = Field(None, max_length=2000)
    event_types: list[str] | None = None
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = None


class EndpointOut(BaseModel):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failed_deliveries: int = Field(description="deliveries in a row that failed every attempt")
    previous_secret_valid_until: str | None = Field(
        description="after a rotation, the old secret also signs until this instant"
    )
    created_at: str
    updated_at: str


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="the whsec_ signing secret: shown in this answer only")


class EndpointPage(BaseModel):
    items: list[EndpointOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    event_type: str
    event_id: str
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt and on a replay")
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    response_code: int | None
    response_excerpt: str = Field(description="the start of the receiver's last answer (at most 1000 characters)")
    error: str | None
    created_at: str
    last_attempt_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


@router.post("/webhook-endpoints", status_code=201)
def create_endpoint(
    body: EndpointIn, session: Session = Depends(db), who: Principal = Depends(require(SECTION))
) -> EndpointWithSecret:
    endpoint, secret = svc.create_endpoint(
        session,
        who.actor,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
    )
    session.flush()
    return EndpointWithSecret(**svc.endpoint_json(endpoint), secret=secret)


@router.get("/webhook-endpoints")
def list_endpoints(
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require(SECTION)),
) -> EndpointPage:
    from sqlmodel import select

    return EndpointPage(
        **page(session, select(WebhookEndpoint), WebhookEndpoint, cursor, limit, svc.endpoint_json, updated_since)
    )


@router.get("/webhook-endpoints/{endpoint_id}")
def get_endpoint(
    endpoint_id: int, session: Session = Depends(db), _: Principal = Depends(require(SECTION))
) -> EndpointOut:
    return EndpointOut(**svc.endpoint_json(svc.get_endpoint(session, endpoint_id)))


@router.patch("/webhook-endpoints/{endpoint_id}")
def update_endpoint(
    endpoint_id: int, body: EndpointPatch, session: Session = Depends(db), who: Principal = Depends(require(SECTION))
) -> EndpointOut:
    """Change the URL, event types or description; `enabled: true` re-enables a disabled endpoint."""
    endpoint = svc.update_endpoint(
        session,
        who.actor,
        endpoint_id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
    )
    return EndpointOut(**svc.endpoint_json(endpoint))


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204)
def delete_endpoint(
    endpoint_id: int, session: Session = Depends(db), who: Principal = Depends(require(SECTION))
) -> Response:
    svc.delete_endpoint(session, who.actor, endpoint_id)
    return Response(status_code=204)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret")
def rotate_secret(
    endpoint_id: int, session: Session = Depends(db), who: Principal = Depends(require(SECTION))
) -> EndpointWithSecret:
    """A new secret (in this answer only); the old one keeps signing for a day, beside the new one."""
    endpoint, secret = svc.rotate_secret(session, who.actor, endpoint_id)
    return EndpointWithSecret(**svc.endpoint_json(endpoint), secret=secret)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries")
def list_deliveries(
    endpoint_id: int,
    status: str | None = Query(None, description="pending, delivered, failed"),
    updated_since: datetime | None = UPDATED_SINCE,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    session: Session = Depends(db),
    _: Principal = Depends(require(SECTION)),
) -> DeliveryPage:
    """The delivery log, newest first; with `updated_since`, changed ones by (updated_at, id)."""
    if updated_since is not None:
        return DeliveryPage(
            **page(
                session,
                svc.deliveries_query(session, endpoint_id, status),
                WebhookDelivery,
                cursor,
                limit,
                lambda d: DeliveryOut(**svc.delivery_json(d)),
                updated_since,
            )
        )
    rows = svc.list_deliveries(session, endpoint_id, status=status, before_id=decode_cursor(cursor), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[DeliveryOut(**svc.delivery_json(d)) for d in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )


@router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/replay", status_code=202)
def replay_delivery(
    endpoint_id: int,
    delivery_id: int,
    background: BackgroundTasks,
    session: Session = Depends(db),
    who: Principal = Depends(require(SECTION)),
) -> DeliveryOut:
    """Queue one delivery again, due now; it is sent after this commit, once the answer has gone out."""
    delivery = svc.replay(session, who.actor, endpoint_id, delivery_id)
    # Background tasks run after the response, so after the unit of work committed (api/deps.py).
    background.add_task(svc.deliver_due, None, 1, [delivery_id])
    return DeliveryOut(**svc.delivery_json(delivery))
