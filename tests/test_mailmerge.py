"""Merge fields of the e-mail composer: filled, escaped braces, unknown fields refused by name."""

import pytest

from l2c_app.core.errors import DomainError
from l2c_app.core.mailmerge import FIELDS, Message, parse_addresses, render, rendered, unknown_fields

VALUES = {
    "client_name": "Zoë & Co",
    "document_number": "Q-12 v2",
    "total": "€1,250.50",
    "link": "https://x.test/q/abc",
    "due_date": "2026-12-31",
}


def test_fields_are_filled_from_the_document_values():
    text = "Dear {client_name}, proposal {document_number} for {total} until {due_date}: {link}"
    assert render(text, VALUES) == (
        "Dear Zoë & Co, proposal Q-12 v2 for €1,250.50 until 2026-12-31: https://x.test/q/abc"
    )


def test_a_known_field_without_a_value_is_empty_and_text_without_fields_is_unchanged():
    assert render("Hello {contact_name}!", VALUES) == "Hello !"
    assert render("No fields here.", VALUES) == "No fields here."


def test_double_braces_are_literal_braces():
    assert render("{{client_name}} is {client_name}", VALUES) == "{client_name} is Zoë & Co"


def test_unknown_fields_are_refused_by_name_on_the_field():
    with pytest.raises(DomainError) as err:
        render("Hi {client}, total {totl} {client}", VALUES, field_name="subject")
    assert err.value.field == "subject" and err.value.code == "merge_field.unknown"
    assert "{client}, {totl}" in err.value.message and "{client_name}" in err.value.message
    assert unknown_fields("{a} {client_name} {a} { }") == ["a", " "]


def test_values_are_not_themselves_rendered():
    # A client name holding braces is text, not a field (no second pass).
    assert render("{client_name}", {"client_name": "{link}"}) == "{link}"


def test_rendered_requires_subject_and_body():
    assert rendered(Message(subject="  Invoice  {document_number} ", body="x"), VALUES) == ("Invoice Q-12 v2", "x")
    with pytest.raises(DomainError) as err:
        rendered(Message(subject="", body="x"), VALUES)
    assert err.value.field == "subject"
    with pytest.raises(DomainError) as err:
        rendered(Message(subject="s", body="  \n"), VALUES)
    assert err.value.field == "body"


def test_cc_addresses_are_checked_and_deduplicated():
    assert parse_addresses("a@x.test, b@y.test; A@x.test  c@z.test") == ["a@x.test", "b@y.test", "c@z.test"]
    assert parse_addresses("  ") == []
    with pytest.raises(DomainError) as err:
        parse_addresses("a@x.test, not-an-address")
    assert err.value.field == "cc" and "not-an-address" in err.value.message
    with pytest.raises(DomainError):
        parse_addresses(", ".join(f"p{i}@x.test" for i in range(11)))


def test_the_documented_fields_are_the_ones_the_brief_names():
    assert {"client_name", "document_number", "total", "link", "due_date"} <= set(FIELDS)


def test_one_recipient():
    from l2c_app.core.mailmerge import parse_recipient

    assert parse_recipient(" zoe@client.test ") == "zoe@client.test"
    for bad in ("", "a@x.test, b@x.test", "nobody"):
        with pytest.raises(DomainError) as err:
            parse_recipient(bad)
        assert err.value.field == "to"


def test_cc_addresses_that_the_outbox_cannot_hold_are_refused_by_name():
    """Ten long addresses pass one by one but not together: the Outbox keeps Cc in 1,000 characters."""
    import pytest

    from l2c_app.core.errors import DomainError
    from l2c_app.core.mailmerge import parse_addresses

    long_ones = [f"{'a' * 90}{i}@example.com" for i in range(10)]
    assert len(parse_addresses(", ".join(long_ones[:9]))) == 9
    with pytest.raises(DomainError) as refused:
        parse_addresses(", ".join(long_ones))
    assert refused.value.field == "cc" and "1000 characters" in str(refused.value)
