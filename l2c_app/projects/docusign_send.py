"""Outbox delivery of a change order's DocuSign envelope (run by the worker after commit).

DocuSign's create-envelope has no idempotency key: a change order that already has an envelope
is never sent again, and one no longer `sent` (approved by link, declined, back to draft) gets
none, or its new envelope is voided. A refusal a person must fix (consent, keys, the account)
puts the change order back to draft, so it can be sent again or by link."""

from __future__ import annotations

from l2c_app.core.audit import SYSTEM, record_action
from l2c_app.outbox.service import Permanent, enqueue, handler, write_scope
from l2c_app.pipeline.timeline import add_deal_event
from l2c_app.ports import signatures
from l2c_app.ports.signatures import EnvelopeRequest, Recipient, SignatureRefused


@handler("docusign.change_order_send")
def deliver_change_order_envelope(effect) -> str:
    from l2c_app.core.db import session_scope
    from l2c_app.projects.models import ChangeOrder, Project
    from l2c_app.projects.service import change_order_pdf

    co_id = effect.payload["change_order_id"]
    with session_scope() as session:
        co = session.get(ChangeOrder, co_id)
        if co is None:
            return "not sent: the change order is gone"
        if co.envelope_id:
            return co.envelope_id
        if co.status != "sent" or co.provider != "docusign":
            return f"not sent: the change order is {co.status}"
        project = session.get(Project, co.project_id)
        subject = f"Please sign: change order #{co.number} for {project.name}"
        name = f"Change order {co.number} - {project.name}.pdf"
        pdf = change_order_pdf(session, co)
    # One signer (the client) on the PDF's anchors /sig1/ and /date1/.
    client = Recipient("1", effect.payload["signer_name"], effect.payload["signer_email"], 1)
    request = EnvelopeRequest(subject, name, pdf, (client,), ("change_order", co_id))
    try:
        envelope_id = signatures.provider(signatures.DOCUSIGN).send_envelope(request)
    except SignatureRefused as exc:
        if not exc.needs_a_person:
            raise  # limits and outages: the outbox retries with backoff
        with write_scope() as session:
            co = session.get(ChangeOrder, co_id)
            if co is not None and co.status == "sent" and not co.envelope_id:
                co.status, co.provider = "draft", "builtin"
                session.add(co)
                record_action(session, SYSTEM, "changeorder", co.id, "docusign_refused", {"reason": str(exc)[:500]})
                project = session.get(Project, co.project_id)
                add_deal_event(
                    session, project.deal_id, f"DocuSign refused change order #{co.number}: back to draft ({exc})"
                )
        raise Permanent(str(exc)) from None
    with write_scope() as session:
        co = session.get(ChangeOrder, co_id)
        if co is None or co.envelope_id or co.status != "sent":
            enqueue(
                session,
                "docusign.void",
                {"envelope_id": envelope_id, "reason": "change order no longer sent"},
                f"docusign-void-{envelope_id}",
                summary=f"Void DocuSign envelope {envelope_id}",
                related=("changeorder", co_id),
            )
            return envelope_id
        co.envelope_id = envelope_id
        session.add(co)
        record_action(session, SYSTEM, "changeorder", co.id, "envelope_created", {"envelope_id": envelope_id})
    return envelope_id
