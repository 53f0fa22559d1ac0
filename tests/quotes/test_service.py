"""The builder's use cases on SQLite and PostgreSQL: catalog, lines, send, revise, accept."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from l2c_app.core.audit import history
from l2c_app.core.models import AuditLog, Document, Notification, OutboxMessage
from l2c_app.pipeline.models import Activity, Deal, PipelineStage, StageChange
from l2c_app.quotes import service as svc
from l2c_app.quotes.models import CatalogItem, Quote, QuoteLine, TaxRate
from l2c_app.quotes.service import QuoteError


def build_quote(session, w, *, optional=True):
    """A draft with a section, two fixed lines, one optional line and a 10% discount."""
    q = svc.create_quote_from_deal(session, w.actor, w.deal.id)
    svc.add_line(
        session,
        w.actor,
        q.id,
        description="Discovery workshop",
        quantity="1",
        unit_price_minor=250000,
        tax_rate_id=w.vat.id,
        section="Phase 1",
    )
    svc.add_line(
        session,
        w.actor,
        q.id,
        description="Design",
        quantity="12.5",
        unit="hour",
        unit_price_minor=15000,
        tax_rate_id=w.vat.id,
        billing_kind="hourly",
        role="Designer",
    )
    if optional:
        svc.add_line(
            session,
            w.actor,
            q.id,
            description="Extra care plan",
            quantity="1",
            unit_price_minor=50000,
            tax_rate_id=w.vat.id,
            optional=True,
            section="Options",
        )
    svc.update_quote(session, w.actor, q.id, discount_percent="10", notes="Thanks!", terms="Net 30")
    session.commit()
    return q


def count(session, model):
    return len(session.exec(select(model)).all())


def test_quote_is_prefilled_from_the_deal(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    session.commit()
    assert (q.contact_id, q.currency, q.owner_id, q.title) == (
        world.contact.id,
        "EUR",
        world.owner.id,
        "Website rebuild",
    )
    assert q.status == "draft" and q.version == 1 and q.number == 1
    assert len(q.public_token) >= 40
    assert q.expires_on > date.today()
    assert svc.create_quote_from_deal(session, world.actor, world.deal.id).number == 2


def test_lines_totals_and_cached_figures(session, world):
    q = build_quote(session, world)
    view = svc.quote_view(session, q.id)
    # 2500.00 + 12.5 x 150.00 = 4375.00; optional 500.00 not ticked
    assert view["totals"]["subtotal_minor"] == 437500
    assert view["totals"]["discount_minor"] == 43750
    assert view["totals"]["taxes"][0]["tax_minor"] == 78750
    assert view["totals"]["total_minor"] == 437500 - 43750 + 78750
    assert session.get(Quote, q.id).total_minor == view["totals"]["total_minor"]
    assert [ln["section"] for ln in view["lines"]] == ["Phase 1", "Phase 1", "Options"]
    assert view["lines"][1]["quantity"] == "12.5"
    assert view["lines"][2]["optional"] and not view["lines"][2]["included"]


def test_catalog_line_prefills_and_archive_instead_of_delete(session, world):
    item = svc.create_catalog_item(
        session,
        world.actor,
        name="Senior developer",
        kind="hourly",
        role="Senior developer",
        unit_price_minor=15000,
        tax_rate_id=world.vat.id,
    )
    unused = svc.create_catalog_item(session, world.actor, name="Hosting", kind="recurring", unit_price_minor=4900)
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    line = svc.add_line(session, world.actor, q.id, catalog_item_id=item.id, quantity="40")
    session.commit()
    assert (line.description, line.unit, line.unit_price_minor, line.billing_kind, line.role, line.tax_rate_id) == (
        "Senior developer",
        "hour",
        15000,
        "hourly",
        "Senior developer",
        world.vat.id,
    )
    assert svc.remove_catalog_item(session, world.actor, item.id) == "archived"
    assert svc.remove_catalog_item(session, world.actor, unused.id) == "deleted"
    session.commit()
    assert session.get(CatalogItem, item.id).archived_at is not None
    assert [i.name for i in svc.list_catalog(session)] == []
    with pytest.raises(QuoteError, match="archived"):
        svc.add_line(session, world.actor, q.id, catalog_item_id=item.id)
    # a used tax rate is archived, and keeps its percent
    with pytest.raises(QuoteError, match="cannot change"):
        svc.update_tax_rate(session, world.actor, world.vat.id, name="VAT", percent="21", inclusive=False)
    session.rollback()
    assert svc.remove_tax_rate(session, world.actor, world.vat.id) == "archived"
    unused_rate = svc.create_tax_rate(session, world.actor, name="Zero", percent="0")
    assert svc.remove_tax_rate(session, world.actor, unused_rate.id) == "deleted"


@pytest.mark.parametrize(
    "fields,field,message",
    [
        ({"quantity": "-1"}, "quantity", "cannot be negative"),
        ({"quantity": "abc"}, "quantity", "must be a number"),
        ({"tax_rate_id": 999}, "tax_rate_id", "Unknown tax rate"),
        ({"unit_price_minor": -5}, "unit_price_minor", "cannot be negative"),
        ({"discount_percent": "120"}, "discount_percent", "at most 100"),
        ({"billing_kind": "barter"}, "billing_kind", "Billing kind"),
        ({"description": "  "}, "description", "required"),
        ({"due_date": "31/12/2026"}, "due_date", "date like"),
    ],
)
def test_bad_line_input_is_refused_and_changes_nothing(session, world, fields, field, message):
    q = build_quote(session, world)
    before_lines = [(ln.description, ln.quantity, ln.tax_rate_id) for ln in svc.quote_lines(session, q.id)]
    before_total, before_audit = session.get(Quote, q.id).total_minor, count(session, AuditLog)
    first = svc.quote_lines(session, q.id)[0]
    with pytest.raises(QuoteError, match=message) as exc:
        svc.update_line(session, world.actor, first.id, **fields)
    assert exc.value.field == field
    session.rollback()
    with pytest.raises(QuoteError, match=message):
        svc.add_line(session, world.actor, q.id, **{"description": "New", **fields})
    session.rollback()
    assert [(ln.description, ln.quantity, ln.tax_rate_id) for ln in svc.quote_lines(session, q.id)] == before_lines
    assert session.get(Quote, q.id).total_minor == before_total
    assert count(session, AuditLog) == before_audit


def test_reorder_move_and_remove(session, world):
    q = build_quote(session, world)
    a, b, c = [ln.id for ln in svc.quote_lines(session, q.id)]
    svc.move_line(session, world.actor, c, -1)  # first it crosses into the section above
    assert [ln.id for ln in svc.quote_lines(session, q.id)] == [a, b, c]
    assert session.get(QuoteLine, c).section == "Phase 1"
    svc.move_line(session, world.actor, c, -1)
    assert [ln.id for ln in svc.quote_lines(session, q.id)] == [a, c, b]
    svc.move_line(session, world.actor, a, -1)  # already first: nothing moves
    svc.reorder_lines(session, world.actor, q.id, [b, a, c])
    assert [ln.id for ln in svc.quote_lines(session, q.id)] == [b, a, c]
    with pytest.raises(QuoteError, match="every line"):
        svc.reorder_lines(session, world.actor, q.id, [b, a])
    svc.move_line_to(session, world.actor, c, b)  # drag c onto b
    assert [ln.id for ln in svc.quote_lines(session, q.id)] == [c, b, a]
    svc.remove_line(session, world.actor, b)
    session.commit()
    assert [(ln.id, ln.position) for ln in svc.quote_lines(session, q.id)] == [(c, 0), (a, 1)]


def test_send_writes_the_outbox_with_pdf_and_public_link(session, world):
    q = build_quote(session, world)
    msg = svc.send_quote(session, world.actor, q.id)
    session.commit()
    q = session.get(Quote, q.id)
    assert q.status == "sent" and q.sent_at is not None
    assert msg.to == "zoe@client.test" and msg.status == "outbox"
    assert msg.link.endswith(f"/q/{q.public_token}")
    doc = session.get(Document, msg.attachment_ids[0])
    assert doc.kind == "quote_pdf" and doc.data.startswith(b"%PDF")
    events = [a.subject for a in session.exec(select(Activity).where(Activity.deal_id == world.deal.id))]
    assert any("sent to zoe@client.test" in e for e in events)
    assert [a.action for a in history(session, "quote", q.id)][-1] == "send"
    with pytest.raises(QuoteError, match="Revise"):
        svc.add_line(session, world.actor, q.id, description="Late addition", unit_price_minor=1)


def test_send_refuses_without_contact_email_or_lines(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    with pytest.raises(QuoteError, match="at least one line"):
        svc.send_quote(session, world.actor, q.id)
    line = svc.add_line(
        session, world.actor, q.id, description="Kick-off", billing_kind="milestone", unit_price_minor=100
    )
    session.commit()
    with pytest.raises(QuoteError, match="due date"):
        svc.send_quote(session, world.actor, q.id)
    session.rollback()
    svc.update_line(session, world.actor, line.id, due_date="2099-01-31")
    world.contact.email = None
    session.add(world.contact)
    session.commit()
    with pytest.raises(QuoteError, match="contact with an e-mail"):
        svc.send_quote(session, world.actor, q.id)
    session.rollback()
    assert session.get(Quote, q.id).status == "draft" and count(session, OutboxMessage) == 0


def test_revise_supersedes_the_sent_version(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    new = svc.revise_quote(session, world.actor, q.id)
    session.commit()
    old = session.get(Quote, q.id)
    assert old.status == "superseded" and new.status == "draft"
    assert (new.number, new.version, new.revision_of_id) == (old.number, 2, old.id)
    assert new.public_token != old.public_token
    assert len(svc.quote_lines(session, new.id)) == 3 and new.total_minor == old.total_minor
    assert svc.public_view(session, old.public_token)["notice"]  # still readable, marked replaced
    with pytest.raises(QuoteError, match="replaced by a newer one") as exc:
        svc.accept_quote(session, old.public_token, name="Zoë Ł", agreed=True)
    assert exc.value.status == 409
    with pytest.raises(QuoteError, match="newer version"):
        svc.revise_quote(session, world.actor, old.id)


def test_client_accepts_with_option_and_the_deal_is_won(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    session.commit()
    optional = [ln for ln in svc.quote_lines(session, q.id) if ln.optional][0]
    # the client's page shows the total with the option ticked before they accept
    ticked = svc.public_view(session, q.public_token, selected={optional.id})["totals"]["total_minor"]
    svc.accept_quote(
        session,
        q.public_token,
        name="  Zoë   Łukasiewicz ",
        agreed=True,
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 test",
        selected_line_ids=[optional.id],
    )
    session.commit()
    q = session.get(Quote, q.id)
    assert (q.status, q.accepted_name, q.accepted_ip, q.accepted_user_agent) == (
        "accepted",
        "Zoë Łukasiewicz",
        "203.0.113.9",
        "Mozilla/5.0 test",
    )
    assert q.accepted_at is not None
    assert q.total_minor == ticked == (437500 + 50000) * 90 // 100 * 120 // 100
    deal = session.get(Deal, world.deal.id)
    won = session.get(PipelineStage, deal.stage_id)
    # the deal value is net of tax (issue 21): the accepted total less its tax
    assert (deal.status, won.kind, deal.value_minor) == ("won", "won", q.total_minor - q.tax_minor)
    assert deal.value_minor == q.subtotal_minor - q.discount_minor == 438750
    assert session.exec(select(StageChange).where(StageChange.deal_id == deal.id)).one().to_stage_id == won.id
    assert (
        session.exec(select(Notification).where(Notification.user_id == world.owner.id)).first().kind
        == "quote_accepted"
    )
    assert any(
        "accepted by Zoë Łukasiewicz" in a.subject
        for a in session.exec(select(Activity).where(Activity.deal_id == deal.id))
    )
    assert "client:Zoë Łukasiewicz" in [a.actor for a in history(session, "quote", q.id)]
    with pytest.raises(QuoteError, match="already been accepted"):
        svc.accept_quote(session, q.public_token, name="Zoë", agreed=True)


def test_accept_uses_the_existing_won_stage_and_respects_the_setting(session, world):
    won = PipelineStage(name="Closed won", position=9, probability=100, kind="won")
    session.add(won)
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    session.commit()
    svc.accept_quote(session, q.public_token, name="Zoë Ł", agreed=True)
    assert session.get(Deal, world.deal.id).stage_id == won.id
    assert len(session.exec(select(PipelineStage).where(PipelineStage.kind == "won")).all()) == 1


def test_accept_leaves_the_deal_when_the_organisation_says_so(session, world):
    world.org.settings = {"quote_accept_wins_deal": False}
    session.add(world.org)
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    svc.accept_quote(session, q.public_token, name="Zoë Ł", agreed=True)
    session.commit()
    assert session.get(Deal, world.deal.id).status == "open"
    assert session.get(Quote, q.id).status == "accepted"


@pytest.mark.parametrize(
    "kwargs,message,field",
    [
        ({"name": "", "agreed": True}, "full name", "name"),
        ({"name": "Zoë Ł", "agreed": False}, "Tick the box", "agreed"),
        ({"name": "Zoë Ł", "agreed": True, "selected_line_ids": [999999]}, "optional lines", "selected_line_ids"),
    ],
)
def test_accept_refuses_bad_answers_and_changes_nothing(session, world, kwargs, message, field):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    session.commit()
    audits = count(session, AuditLog)
    with pytest.raises(QuoteError, match=message) as exc:
        svc.accept_quote(session, q.public_token, **kwargs)
    assert exc.value.field == field
    session.rollback()
    assert session.get(Quote, q.id).status == "sent" and count(session, AuditLog) == audits
    assert session.get(Deal, world.deal.id).status == "open"


def test_expired_quote_cannot_be_accepted(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    q.expires_on = date.today() - timedelta(days=2)
    session.commit()
    with pytest.raises(QuoteError, match="expired on") as exc:
        svc.accept_quote(session, q.public_token, name="Zoë Ł", agreed=True)
    assert exc.value.status == 409
    session.rollback()
    assert session.get(Quote, q.id).status == "sent" and session.get(Deal, world.deal.id).status == "open"
    assert svc.public_view(session, q.public_token)["status"] == "expired"
    assert svc.revise_quote(session, world.actor, q.id).expires_on > date.today()  # an expired quote can be revised


def test_decline_with_reason_then_no_accept(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    session.commit()
    with pytest.raises(QuoteError, match="why"):
        svc.decline_quote(session, q.public_token, reason=" ")
    session.rollback()
    svc.decline_quote(session, q.public_token, reason="Too expensive for now", ip="198.51.100.1")
    session.commit()
    q = session.get(Quote, q.id)
    assert (q.status, q.decline_reason) == ("declined", "Too expensive for now")
    with pytest.raises(QuoteError, match="declined"):
        svc.accept_quote(session, q.public_token, name="Zoë Ł", agreed=True)


def test_unknown_or_draft_token_opens_nothing(session, world):
    q = build_quote(session, world)
    for token in ("nope", "", "x" * 200, q.public_token):  # a draft is not visible yet
        with pytest.raises(QuoteError, match="not valid") as exc:
            svc.public_view(session, token)
        assert exc.value.status == 404


def test_public_view_leaves_out_internal_fields(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    view = svc.public_view(session, q.public_token)
    assert "versions" not in view and "public_url" not in view and "accepted_ip" not in view
    assert "deal_title" not in view


def test_deal_panel_lists_versions(session, world):
    q = build_quote(session, world)
    svc.send_quote(session, world.actor, q.id)
    svc.revise_quote(session, world.actor, q.id)
    rows = svc.deal_quotes(session, world.deal.id)
    assert [(r["version"], r["status"]) for r in rows] == [(2, "draft"), (1, "superseded")]
    assert rows[0]["total"].startswith("€")
