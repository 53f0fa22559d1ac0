"""Issue 19: the UI actions added with issue 22 have typed REST routes too. Through HTTP only
(the journey's world), asserting effects: the composer's message (cc, edited subject) in the
Outbox; a quote's headings; the organisation's time rules and locale. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from l2c_app.core import timeutil
from l2c_app.core.models import OutboxMessage
from tests.sales_fixtures import api_key, client, team  # noqa: F401
from tests.test_api_sync_and_routes import _world


def _outbox(session, msg_id: int) -> OutboxMessage:
    session.expire_all()
    row = session.exec(select(OutboxMessage).where(OutboxMessage.id == msg_id)).one()
    return row


def _field(answer: dict) -> str:
    return answer["error"]["field"]


def test_quote_headings_then_sending_with_the_composers_message(client, api_key, session):  # noqa: F811
    api, _, _ = _world(client, api_key)
    deal_id = api("GET", "/api/v1/deals")["items"][0]["id"]
    q = api(
        "POST",
        "/api/v1/quotes",
        {"deal_id": deal_id, "lines": [{"description": "Hosting", "quantity": "1", "unit_price_minor": 10000}]},
        expect=201,
    )
    qid = q["id"]
    # headings: add, refuse a second of the same name, rename, remove an empty one
    assert api("POST", f"/api/v1/quotes/{qid}/sections", {"heading": "Design"}, expect=201)["sections"] == ["Design"]
    assert _field(api("POST", f"/api/v1/quotes/{qid}/sections", {"heading": "Design"}, expect=409)) == "section"
    api("POST", f"/api/v1/quotes/{qid}/sections", {"heading": "Extras"}, expect=201)
    assert api("PATCH", f"/api/v1/quotes/{qid}/sections", {"heading": "Design", "new_heading": "UX design"})[
        "sections"
    ] == ["UX design", "Extras"]
    assert api("GET", f"/api/v1/quotes/{qid}")["sections"] == ["UX design", "Extras"]
    assert api("DELETE", f"/api/v1/quotes/{qid}/sections", heading="Extras")["sections"] == ["UX design"]
    api("DELETE", f"/api/v1/quotes/{qid}/sections", heading="Nope", expect=404)
    api("POST", f"/api/v1/quotes/{qid}/sections", {"heading": ""}, expect=422)
    assert api("GET", f"/api/v1/quotes/{qid}")["sections"] == ["UX design"]

    # the composer's draft, then a send with an edited subject and a cc
    draft = api("GET", f"/api/v1/quotes/{qid}/email-draft")
    assert "{document_number}" in draft["subject"] and draft["values"]["document_number"]
    assert draft["to"] == "carl@client.test" and "link" in draft["fields"]
    bad = api("POST", f"/api/v1/quotes/{qid}/send", {"message": {"subject": "Hi {nope}", "body": "x"}}, expect=422)
    assert _field(bad) == "subject"
    assert (
        _field(
            api(
                "POST",
                f"/api/v1/quotes/{qid}/send",
                {"message": {"cc": "not-an-address", "subject": "S", "body": "B"}},
                expect=422,
            )
        )
        == "cc"
    )
    assert api("GET", f"/api/v1/quotes/{qid}")["status"] == "draft"  # refused: nothing sent
    sent = api(
        "POST",
        f"/api/v1/quotes/{qid}/send",
        {
            "message": {
                "cc": "boss@client.test",
                "subject": "Our offer {document_number}",
                "body": "Dear {contact_name}: {link}",
            }
        },
    )
    assert sent["quote"]["status"] == "sent"
    msg = _outbox(session, sent["email"]["id"])
    assert (msg.to, msg.cc) == ("carl@client.test", "boss@client.test")
    assert msg.subject == f"Our offer {draft['values']['document_number']}"
    assert msg.body == f"Dear {draft['values']['contact_name']}: {sent['public_url']}"


def test_change_order_and_contract_drafts_and_a_change_order_sent_with_a_message(
    client,  # noqa: F811
    api_key,  # noqa: F811
    session,
):
    api, pid, _ = _world(client, api_key)
    co = api(
        "POST",
        f"/api/v1/projects/{pid}/change-orders",
        {"description": "Extra page", "amount_minor": 40000},
        expect=201,
    )
    draft = api("GET", f"/api/v1/change-orders/{co['id']}/email-draft")
    assert draft["values"]["description"] == "Extra page"
    api("GET", "/api/v1/change-orders/999999/email-draft", expect=404)
    api(
        "POST",
        f"/api/v1/change-orders/{co['id']}/send",
        {
            "to": "carl@client.test",
            "message": {
                "cc": "pm@client.test; boss@client.test",
                "subject": "Change {document_number}: {description}",
                "body": "{link}",
            },
        },
    )
    msg = session.exec(
        select(OutboxMessage).where(OutboxMessage.related_entity == "changeorder", OutboxMessage.related_id == co["id"])
    ).one()
    assert msg.cc == "pm@client.test, boss@client.test" or msg.cc == "pm@client.test,boss@client.test"
    assert msg.subject == f"Change {draft['values']['document_number']}: Extra page"
    contract_id = api("GET", "/api/v1/contracts")["items"][0]["id"]
    c = api("GET", f"/api/v1/contracts/{contract_id}/email-draft")
    assert c["to_fixed"] is True and c["subject"]
    api("GET", "/api/v1/contracts/999999/email-draft", expect=404)
    api("GET", "/api/v1/invoices/999999/email-draft", expect=404)


def test_organisation_time_rules_and_locale(client, api_key, session):  # noqa: F811
    api, pid, dev_id = _world(client, api_key)
    org = api("GET", "/api/v1/organisation")
    assert (org["locale"], org["hours_format"], org["allow_future_time"]) == ("en-US", "hm", False)
    line = next(b for b in api("GET", f"/api/v1/projects/{pid}/budget-lines")["items"] if b["from_quote"])
    later = timeutil.utcnow().date() + timedelta(days=40)

    def log(day: date, expect: int):
        return api(
            "POST",
            "/api/v1/time-entries",
            {
                "project_id": pid,
                "date": day.isoformat(),
                "minutes": 30,
                "budget_line_id": line["id"],
                "user_id": dev_id,
            },
            expect=expect,
        )

    assert _field(log(later, 422)) == "date"  # the default: future days locked
    assert api("PATCH", "/api/v1/organisation", {"allow_future_time": True})["allow_future_time"] is True
    log(later, 201)
    org = api("PATCH", "/api/v1/organisation", {"allow_future_time": False})
    assert (org["allow_future_time"], org["sole_approver_self_approval"], org["name"]) == (
        False,
        True,
        api("GET", "/api/v1/organisation")["name"],
    )
    assert _field(log(later + timedelta(days=1), 422)) == "date"
    assert (
        api("PATCH", "/api/v1/organisation", {"sole_approver_self_approval": False})["sole_approver_self_approval"]
        is False
    )
    # formats: a bad locale names the field; de-DE shows in an invoice e-mail's due date
    assert _field(api("PATCH", "/api/v1/organisation", {"locale": "xx-XX"}, expect=422)) == "locale"
    api("PATCH", "/api/v1/organisation", {"allow_future_time": "yes"}, expect=422)
    inv = next(i for i in api("GET", "/api/v1/invoices")["items"] if i.get("due_date"))
    due = date.fromisoformat(inv["due_date"])
    en = api("GET", f"/api/v1/invoices/{inv['id']}/email-draft")["values"]["due_date"]
    org = api("PATCH", "/api/v1/organisation", {"locale": "de-DE", "hours_format": "decimal"})
    assert (org["locale"], org["hours_format"]) == ("de-DE", "decimal")
    de = f"{due.day:02d}.{due.month:02d}.{due.year}"
    assert api("GET", f"/api/v1/invoices/{inv['id']}/email-draft")["values"]["due_date"] == de != en
    sent = api(
        "POST",
        f"/api/v1/invoices/{inv['id']}/send",
        {"message": {"cc": "ap@client.test", "subject": "Rechnung {document_number}", "body": "Fällig am {due_date}."}},
    )
    msg = _outbox(session, sent["message_id"])
    assert (msg.cc, msg.subject, msg.body) == ("ap@client.test", f"Rechnung {inv['number']}", f"Fällig am {de}.")
    assert api("PATCH", "/api/v1/organisation", {"locale": "en-US"})["locale"] == "en-US"
