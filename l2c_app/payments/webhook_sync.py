"""Healing what webhooks missed: `stripe_sync` applies every handled event since the stored
cursor, then every completed checkout session with no ledger row.
"""

from __future__ import annotations

import json
import logging

from sqlmodel import Session

from l2c_app.core.audit import Actor, record_action
from l2c_app.payments.webhook_checks import check_event
from l2c_app.payments.webhook_ledger import _find_payment, _id, prefetch
from l2c_app.payments.webhook_payments import on_checkout_completed
from l2c_app.payments.webhook_record import record_and_apply

log = logging.getLogger("l2c_app.payments.webhooks")  # one logger name for the split modules


CURSOR_KEY = "events_cursor"
# Events become listable shortly after `created`, not always in order: re-read a margin
# behind the cursor (known events are duplicates and change nothing).
CURSOR_OVERLAP = 300
# A checkout session completes up to 24 h after it was created (Checkout sessions expire then).
SESSION_WINDOW = 2 * 86400


def stripe_sync(session: Session) -> dict[str, int]:
    """Apply what the webhooks missed: every handled event since the stored cursor, then every
    completed checkout session with no ledger row.

    Stripe, "List all events": filtered by `types` (ours, ports.payments.EVENT_TYPES) and
    `created[gte]` (the cursor, kept in provider_state), all pages. Each event is applied in
    a savepoint (one that fails is recorded as failed and the others still apply); the
    cursor moves to the newest event seen, in the same transaction as what it applied.
    """
    from l2c_app.integrations.models import get_state, set_state
    from l2c_app.ports.payments import gateway

    if not gateway().is_external:
        return {"events": 0, "applied": 0, "sessions": 0}
    state = get_state(session, "stripe", CURSOR_KEY)
    cursor = int(state.value) if state is not None and state.value.isdigit() else None
    since = max(0, cursor - CURSOR_OVERLAP) if cursor else None
    events = gateway().events_since(since)  # oldest first; the calls happen before any write
    sessions = gateway().complete_checkout_sessions(max(0, cursor - SESSION_WINDOW) if cursor else None)
    applied = seen = healed = 0
    newest = cursor or 0
    # Every Stripe read the events need happens here, before the first write of this transaction.
    known = lambda pi, ch: _find_payment(session, pi, None, ch) is not None  # noqa: E731
    batch = [(json.dumps(ev), prefetch(ev, known) if check_event(ev) is None else ev) for ev in events]
    for raw, ev in batch:
        seen += 1
        if record_and_apply(session, ev, raw) == "applied":
            applied += 1
        if type(ev.get("created")) is int:
            newest = max(newest, ev["created"])
    for cs in sessions:
        if (
            cs.get("status") != "complete"
            or check_event({"type": "checkout.session.completed", "data": {"object": cs}}) is not None
        ):
            continue
        if _find_payment(session, _id(cs.get("payment_intent")), cs.get("id")) is None:
            try:
                with session.begin_nested():
                    on_checkout_completed(session, cs, {})
                healed += 1
            except Exception:  # noqa: BLE001 - one bad session never stops the others
                log.exception("stripe sync: checkout session %s could not be applied", cs.get("id"))
    if newest and newest != cursor:
        set_state(session, "stripe", CURSOR_KEY, str(newest))
    record_action(
        session,
        Actor("system", None, "stripe-sync"),
        "payment",
        None,
        "stripe_sync",
        {"events": seen, "applied": applied, "sessions_healed": healed, "cursor": newest or None},
    )
    return {"events": seen, "applied": applied, "sessions": healed}
