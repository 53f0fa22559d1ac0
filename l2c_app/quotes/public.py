"""The client's answer, by token.

Threat model: the caller is anyone holding the link. The token is 256 random bits
(unguessable); it opens this one quote version and nothing else of the organisation. Acceptance
is a single conditional UPDATE (status still 'sent'), so two concurrent clicks cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from l2c_app.core import formats
from l2c_app.core.audit import Actor, record_action, record_create, record_update, snapshot
from l2c_app.core.money import format_money
from l2c_app.core.notify import notify
from l2c_app.core.textlimits import plausible_token
from l2c_app.core.timeutil import utcnow
from l2c_app.events.bus import emit
from l2c_app.events.types import DealClosed, DealStageChanged, QuoteEvent
from l2c_app.pipeline.models import Deal, PipelineStage, StageChange
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.quotes.inputs import QuoteError, _org, _text, org_today, quote_label
from l2c_app.quotes.models import Quote
from l2c_app.quotes.records import _refresh, effective_status, quote_lines

# --- the client's answer (public, by token) ---------------------------------------------------


def _by_token(session: Session, token: str) -> Quote:
    if not plausible_token(token, 64):
        raise QuoteError("This link is not valid.", "token", kind="not_found")
    quote = session.exec(select(Quote).where(Quote.public_token == token)).first()
    if quote is None or quote.status == "draft":  # drafts are not for the client's eyes yet
        raise QuoteError("This link is not valid.", "token", kind="not_found")
    return quote


def _answerable(session: Session, quote: Quote) -> None:
    """Refuse (changing nothing) unless the client may still answer this quote."""
    status = effective_status(quote, org_today(session))
    if status == "sent":
        return
    messages = {
        "expired": f"This quote expired on {formats.day(quote.expires_on) if quote.expires_on else ''}. "
        "Please ask us for an updated version.",
        "superseded": "This version has been replaced by a newer one. Please use the link in our latest e-mail.",
        "declined": "This quote was declined. Please ask us for a new version if you changed your mind.",
        "accepted": "This quote has already been accepted. Thank you!",
    }
    raise QuoteError(messages.get(status, "This quote cannot be answered."), "status", kind="conflict")


def _client_actor(name: str) -> Actor:
    return Actor("client", None, name[:60])


def accept_quote(
    session: Session,
    token: str,
    *,
    name: Any,
    agreed: bool,
    ip: str | None = None,
    user_agent: str | None = None,
    selected_line_ids: Iterable[int] = (),
) -> Quote:
    quote = _by_token(session, token)
    _answerable(session, quote)
    typed = " ".join(str(name or "").split())
    if len(typed) < 2 or not any(ch.isalpha() for ch in typed):
        raise QuoteError("Type your full name to accept.", "name")
    if len(typed) > 200:
        raise QuoteError("The name is too long (at most 200 characters).", "name")
    if not agreed:
        raise QuoteError("Tick the box to confirm that you accept this quote.", "agreed")
    lines = quote_lines(session, quote.id)
    optional_ids = {ln.id for ln in lines if ln.optional}
    try:
        chosen = {int(i) for i in selected_line_ids}
    except (TypeError, ValueError):
        raise QuoteError("Unknown optional line.", "selected_line_ids") from None
    if not chosen <= optional_ids:
        raise QuoteError("Only optional lines of this quote can be chosen.", "selected_line_ids")
    # One conditional UPDATE decides who wins when two answers arrive at once.
    now = utcnow()
    won = session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.status == "sent").values(status="accepted")
    ).rowcount
    if won != 1:
        raise QuoteError("This quote has just been answered.", "status", kind="conflict")
    session.refresh(quote)
    before = {**snapshot(quote), "status": "sent"}
    actor = _client_actor(typed)
    for ln in lines:
        if ln.optional:
            ln.selected = ln.id in chosen
            session.add(ln)
    quote.accepted_at, quote.accepted_name = now, typed
    quote.accepted_ip = (ip or "")[:64] or None
    quote.accepted_user_agent = (user_agent or "")[:400] or None
    totals = _refresh(session, quote)
    record_update(session, actor, quote, before, action="accept")
    emit(
        session,
        "quote.accepted",
        QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id, total_minor=totals.total_minor, currency=quote.currency),
    )
    picked = [ln.description for ln in lines if ln.optional and ln.id in chosen]
    add_deal_event(
        session,
        quote.deal_id,
        f"Quote {quote_label(quote)} accepted by {typed}",
        body=f"Total {format_money(totals.total_minor, quote.currency)}"
        + (f"; options chosen: {', '.join(picked)}" if picked else "")
        + f". IP {quote.accepted_ip or '?'}",
    )
    deal = session.get(Deal, quote.deal_id)
    org = _org(session)
    if deal is not None and (org is None or (org.settings or {}).get("quote_accept_wins_deal") is not False):
        _win_deal(session, actor, deal, quote)
    owner = quote.owner_id or (deal.owner_id if deal else None)
    notify(
        session,
        owner,
        "quote_accepted",
        f"{typed} accepted {quote_label(quote)} ({format_money(totals.total_minor, quote.currency)})"
        + (f" on {deal.title}" if deal else ""),
        link=f"/quotes/{quote.id}",
    )
    return quote


def _won_stage(session: Session) -> PipelineStage:
    stage = session.exec(
        select(PipelineStage).where(PipelineStage.kind == "won").order_by(PipelineStage.position, PipelineStage.id)
    ).first()
    if stage is None:
        last = session.exec(select(func.max(PipelineStage.position))).one()
        stage = PipelineStage(name="Won", position=(last or 0) + 1, probability=100, kind="won")
        session.add(stage)
        record_create(session, Actor("system", None, "quotes"), stage)
    return stage


def _win_deal(session: Session, actor: Actor, deal: Deal, quote: Quote) -> None:
    """Mark the deal won (stage, status, close date, value = the accepted total net of tax), audited."""
    if deal.status == "won":
        return
    stage = _won_stage(session)
    before = snapshot(deal)
    now = utcnow()
    from_stage = deal.stage_id
    deal.stage_id, deal.status, deal.closed_at = stage.id, "won", now  # type: ignore[assignment]
    deal.stage_entered_at = deal.updated_at = now
    if quote.currency == deal.currency:
        # Deal values are net of tax everywhere (pipeline, won this month, contract value):
        # the total less every tax, inclusive ones too.
        deal.value_minor = quote.total_minor - quote.tax_minor
    session.add(
        StageChange(
            deal_id=deal.id,
            from_stage_id=from_stage,
            to_stage_id=stage.id,  # type: ignore[arg-type]
            via="system",
            at=now,
        )
    )
    record_update(session, actor, deal, before, action="won")
    add_deal_event(session, deal.id, f"Deal won: quote {quote_label(quote)} accepted")
    emit(
        session,
        "deal.stage_changed",
        DealStageChanged(deal_id=deal.id, stage_id=stage.id, previous_stage_id=from_stage),
    )
    emit(session, "deal.won", DealClosed(deal_id=deal.id, amount_minor=deal.value_minor, currency=deal.currency))


def decline_quote(
    session: Session, token: str, *, reason: Any, ip: str | None = None, user_agent: str | None = None
) -> Quote:
    quote = _by_token(session, token)
    _answerable(session, quote)
    text = _text(reason, "reason", "Reason", 500)
    if not text:
        raise QuoteError("Tell us in a few words why you decline, so we can do better.", "reason")
    won = session.execute(
        update(Quote).where(Quote.id == quote.id, Quote.status == "sent").values(status="declined")
    ).rowcount
    if won != 1:
        raise QuoteError("This quote has just been answered.", "status", kind="conflict")
    session.refresh(quote)
    before = {**snapshot(quote), "status": "sent"}
    quote.declined_at, quote.decline_reason = utcnow(), text
    quote.updated_at = utcnow()
    record_update(session, _client_actor("quote link"), quote, before, action="decline")
    emit(
        session,
        "quote.declined",
        QuoteEvent(quote_id=quote.id, deal_id=quote.deal_id, total_minor=quote.total_minor, currency=quote.currency),
    )
    record_action(
        session,
        _client_actor("quote link"),
        "quote",
        quote.id,
        "decline_context",
        {"ip": (ip or "")[:64], "user_agent": (user_agent or "")[:400]},
    )
    add_deal_event(session, quote.deal_id, f"Quote {quote_label(quote)} declined", body=text)
    deal = session.get(Deal, quote.deal_id)
    notify(
        session,
        quote.owner_id or (deal.owner_id if deal else None),
        "quote_declined",
        f"{quote_label(quote)} was declined: {text}",
        link=f"/quotes/{quote.id}",
    )
    return quote
