"""Issue 22 builder rules on SQLite and PostgreSQL: the one validation rule for typed
figures, headings that survive (an empty section is kept), duplicate, templates."""

from decimal import Decimal

import pytest
from sqlmodel import select

from l2c_app.quotes import service as svc
from l2c_app.quotes.models import Quote, QuoteLine, QuoteTemplate
from l2c_app.quotes.service import QuoteError


def outline_of(session, quote_id):
    """The builder's outline as text: '# Heading' or the line's description."""
    view = svc.quote_view(session, quote_id)
    entries = svc.outline(view["sections"], [ln["section"] or None for ln in view["lines"]])
    return [f"# {v}" if k == "heading" else view["lines"][v]["description"] for k, v in entries]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("quantity", "-3", "Quantity cannot be negative."),
        ("quantity", "1e12", "Quantity must be at most 99999999999."),
        ("quantity", "three", "Quantity must be a number"),
        ("quantity", "", "Quantity is required."),
        ("discount_percent", "200", "Line discount must be at most 100."),
        ("quote_discount", "200", "Quote discount must be at most 100."),
        ("unit_price", "abc", "Unit price: 'abc' is not an amount"),
        ("unit_price", "-5", "Unit price cannot be negative."),
        ("unit_price", "1e13", "Unit price is too large"),
    ],
)
def test_one_rule_refuses_a_typed_figure_with_its_reason(field, value, reason):
    assert svc.line_value_error(field, value, "EUR").startswith(reason)
    with pytest.raises(QuoteError) as err:
        svc.line_value(field, value, "EUR")
    assert err.value.field == ("discount_percent" if field == "quote_discount" else field)


def test_one_rule_accepts_what_a_person_types():
    assert svc.line_value("quantity", "12,5") == Decimal("12.5")
    assert svc.line_value("discount_percent", "") == 0
    assert svc.line_value("unit_price", "1,250.50", "EUR") == 125050
    assert svc.line_value_error("quantity", "1") == ""


def test_the_service_refuses_with_the_same_reason_and_writes_nothing(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    line = svc.add_line(session, world.actor, q.id, description="Work", quantity="2", unit_price_minor=1000)
    session.commit()
    for field, value in (("quantity", "-3"), ("discount_percent", "200"), ("quantity", "1e12")):
        with pytest.raises(QuoteError) as err:
            svc.update_line(session, world.actor, line.id, **{field: value})
        session.rollback()
        assert str(err.value.message) == svc.line_value_error(field, value)
    with pytest.raises(QuoteError) as err:
        svc.update_quote(session, world.actor, q.id, discount_percent="200")
    session.rollback()
    assert err.value.message == svc.line_value_error("quote_discount", "200")
    stored = session.get(QuoteLine, line.id)
    assert (stored.quantity, stored.discount_percent) == (Decimal(2), Decimal(0))


def test_add_section_adds_a_heading_without_a_line_and_the_next_line_lands_in_it(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(session, world.actor, q.id, description="Kick-off", quantity="1", unit_price_minor=0)
    svc.add_section(session, world.actor, q.id, "Phase 2")
    session.commit()
    assert outline_of(session, q.id) == ["Kick-off", "# Phase 2"]
    assert len(svc.quote_lines(session, q.id)) == 1
    svc.add_line(session, world.actor, q.id, description="Build", quantity="1", unit_price_minor=0)
    session.commit()
    assert outline_of(session, q.id) == ["Kick-off", "# Phase 2", "Build"]
    with pytest.raises(QuoteError):
        svc.add_section(session, world.actor, q.id, "Phase 2")
    session.rollback()
    with pytest.raises(QuoteError):
        svc.add_section(session, world.actor, q.id, "   ")
    session.rollback()


def test_moving_a_sections_only_line_keeps_its_heading(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_section(session, world.actor, q.id, "Phase 1")
    a = svc.add_line(session, world.actor, q.id, description="A", quantity="1", unit_price_minor=0)
    svc.add_section(session, world.actor, q.id, "Phase 2")
    b = svc.add_line(session, world.actor, q.id, description="B", quantity="1", unit_price_minor=0)
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "A", "# Phase 2", "B"]
    svc.move_line(session, world.actor, b.id, -1)  # B crosses its heading into Phase 1
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "A", "B", "# Phase 2"]
    svc.move_line(session, world.actor, b.id, 1)  # and back under Phase 2
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "A", "# Phase 2", "B"]
    svc.move_line(session, world.actor, a.id, 1)  # A leaves Phase 1 empty: the heading stays
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "# Phase 2", "A", "B"]
    svc.move_line(session, world.actor, a.id, -1)  # and comes back into the empty section
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "A", "# Phase 2", "B"]
    svc.move_line(session, world.actor, a.id, -1)  # the top: nothing changes
    session.commit()
    assert outline_of(session, q.id) == ["# Phase 1", "A", "# Phase 2", "B"]


def test_rename_and_remove_a_heading(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_section(session, world.actor, q.id, "Phase 1")
    svc.add_line(session, world.actor, q.id, description="A", quantity="1", unit_price_minor=0)
    svc.add_section(session, world.actor, q.id, "Spare")
    session.commit()
    svc.rename_section(session, world.actor, q.id, "Phase 1", "Discovery")
    session.commit()
    assert outline_of(session, q.id) == ["# Discovery", "A", "# Spare"]
    with pytest.raises(QuoteError):
        svc.remove_section(session, world.actor, q.id, "Discovery")  # it has a line
    session.rollback()
    svc.remove_section(session, world.actor, q.id, "Spare")
    session.commit()
    assert outline_of(session, q.id) == ["# Discovery", "A"]


def test_a_quote_from_before_headings_were_kept_shows_its_lines_sections(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(session, world.actor, q.id, description="A", quantity="1", unit_price_minor=0, section="Old")
    session.get(Quote, q.id).sections = None
    session.commit()
    assert outline_of(session, q.id) == ["# Old", "A"]


def a_quote_with_lines(session, w):
    q = svc.create_quote_from_deal(session, w.actor, w.deal.id, title="Bakery site")
    svc.add_section(session, w.actor, q.id, "Design")
    svc.add_line(
        session,
        w.actor,
        q.id,
        description="Mock-ups",
        quantity="2.5",
        unit_price_minor=40000,
        discount_percent="10",
        tax_rate_id=w.vat.id,
    )
    svc.add_section(session, w.actor, q.id, "Options")
    svc.add_line(
        session,
        w.actor,
        q.id,
        description="Care plan",
        quantity="12",
        unit_price_minor=5000,
        tax_rate_id=w.vat.id,
        optional=True,
        billing_kind="recurring",
    )
    svc.add_section(session, w.actor, q.id, "Later")
    svc.update_quote(session, w.actor, q.id, discount_percent="5", notes="Thanks", terms="Net 15")
    session.commit()
    return q


def same_content(session, a_id, b_id):
    fields = (
        "description",
        "quantity",
        "unit",
        "unit_price_minor",
        "discount_percent",
        "tax_rate_id",
        "billing_kind",
        "section",
        "optional",
    )
    a = [tuple(getattr(ln, f) for f in fields) for ln in svc.quote_lines(session, a_id)]
    b = [tuple(getattr(ln, f) for f in fields) for ln in svc.quote_lines(session, b_id)]
    return a == b and outline_of(session, a_id) == outline_of(session, b_id)


def test_duplicate_makes_a_new_draft_with_the_same_client_and_lines(session, world):
    q = a_quote_with_lines(session, world)
    svc.send_quote(session, world.actor, q.id)
    session.commit()
    copy = svc.duplicate_quote(session, world.actor, q.id)
    session.commit()
    assert (copy.status, copy.version, copy.deal_id, copy.contact_id) == ("draft", 1, q.deal_id, q.contact_id)
    assert copy.number == q.number + 1 and copy.public_token != q.public_token
    assert (copy.discount_percent, copy.notes, copy.terms) == (Decimal(5), "Thanks", "Net 15")
    assert same_content(session, q.id, copy.id)
    assert copy.total_minor == session.get(Quote, q.id).total_minor
    assert session.get(Quote, q.id).status == "sent"  # the original is untouched
    assert outline_of(session, copy.id)[-1] == "# Later"


def test_save_as_template_and_start_a_quote_from_it(session, world):
    q = a_quote_with_lines(session, world)
    template = svc.save_as_template(session, world.actor, q.id, "Bakery package")
    session.commit()
    assert svc.template_json(template)["line_count"] == 2
    with pytest.raises(QuoteError) as err:
        svc.save_as_template(session, world.actor, q.id, "Bakery package")
    session.rollback()
    assert err.value.kind == "conflict" and err.value.field == "name"
    with pytest.raises(QuoteError):
        svc.save_as_template(session, world.actor, q.id, "")
    session.rollback()
    new = svc.create_quote_from_template(session, world.actor, world.deal.id, template.id)
    session.commit()
    assert (new.status, new.contact_id, new.title) == ("draft", world.contact.id, "Bakery site")
    assert same_content(session, q.id, new.id)
    assert new.total_minor == session.get(Quote, q.id).total_minor
    assert [t.name for t in svc.list_templates(session)] == ["Bakery package"]


def test_a_template_outlives_an_archived_tax_rate(session, world):
    q = a_quote_with_lines(session, world)
    template = svc.save_as_template(session, world.actor, q.id, "Package")
    session.commit()
    assert svc.remove_tax_rate(session, world.actor, world.vat.id) == "archived"
    session.commit()
    new = svc.create_quote_from_template(session, world.actor, world.deal.id, template.id)
    session.commit()
    assert [ln.tax_rate_id for ln in svc.quote_lines(session, new.id)] == [None, None]
    with pytest.raises(QuoteError) as err:
        svc.create_quote_from_template(session, world.actor, world.deal.id, 999999)
    assert err.value.kind == "not_found"
    session.rollback()
    assert len(session.exec(select(QuoteTemplate)).all()) == 1
