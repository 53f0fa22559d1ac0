"""Templates: merge fields filled from the records; unknown fields found while editing."""

import pytest
from sqlmodel import select

from l2c_app.contracts import merge, pdf
from l2c_app.contracts.models import ContractTemplate
from l2c_app.pipeline.models import Deal
from l2c_app.quotes.models import Quote


def test_unknown_fields_are_named_and_known_ones_are_not():
    body = "Hello {{client.name}}, {{ client.nmae }} owes {{quote.total}} {{deal.owner}} {{foo}} {{foo}}"
    assert merge.unknown_fields(body) == ["client.nmae", "foo"]
    assert merge.unknown_fields(merge.DEFAULT_TEMPLATE) == []
    assert merge.unknown_fields("Dear {{client.name}") == ["unclosed {{ … }}"]


def test_fill_uses_the_records_and_the_scope_is_the_accepted_quote(session, world):
    deal, quote = session.get(Deal, world.deal_id), session.get(Quote, world.quote_id)
    text = merge.fill(
        session,
        "{{client.name}}|{{deal.owner}}|{{quote.total}}|{{payment.terms}}|{{quote.number}}"
        "|{{contact.email}}|{{date.today}}|{{not.known}}\n{{quote.lines}}",
        merge.MergeContext(deal=deal, quote=quote),
    )
    first, *table = text.split("\n")
    assert "\\|" in first  # merged values are escaped Markdown (contracts/test_injection.py)
    first = merge.unescape_md(first)
    assert first.startswith("Client Łtd | Zoë & Co|Sam Seller|")
    assert "€6,347.50" in first  # 2,500.00 + 40.5 h x 95.00; the unticked optional line is out of scope
    assert "50% on signature, 50% on delivery." in first and f"Q{deal.id}-1 v2" in first and "zoe@client.test" in first
    assert "{{not.known}}" in first  # left visible, never silently blanked
    rows = [r for r in table if r.startswith("| ") and "---" not in r]
    assert rows[0].startswith("| Description")
    assert "Development \\| front end (Build)" in rows[2]  # a pipe in a description cannot break the table
    assert len(pdf._cells(rows[2])) == 4
    assert not any("extra language" in r for r in rows)
    assert "**€6,347.50**" in rows[-1]


def test_quote_total_is_computed_in_one_place(session, world):
    quote = session.get(Quote, world.quote_id)
    assert merge.quote_total_minor(session, quote) == 250_000 + 384_750


def test_default_template_is_seeded_once(session):
    first = merge.default_template(session)
    again = merge.default_template(session)
    assert first.id == again.id and first.is_default
    assert len(session.exec(select(ContractTemplate)).all()) == 1


def test_saving_a_template_refuses_unknown_fields(session, world):
    with pytest.raises(merge.TemplateError, match="client.nmae"):
        merge.save_template(session, world.actor, None, "Short", "Dear {{client.nmae}}")
    row = merge.save_template(session, world.actor, None, "Short", "Dear {{client.name}}", make_default=True)
    assert row.is_default and merge.default_template(session).id == row.id
