"""Issue 12: the billing routes answer through Pydantic models, and a client still gets exactly
the JSON the service functions make (same keys, same values): a key the models forget, or a
value they coerce, fails here."""

from __future__ import annotations

import json

from l2c_app.billing import service
from l2c_app.billing.api_models import CandidateOut, InvoiceOut, InvoiceSummaryOut
from l2c_app.billing.models import Invoice
from l2c_app.core.audit import SYSTEM
from tests.billing.test_ledger import UP_TO
from tests.billing.test_ledger_api import client, issued_id  # noqa: F401  (the fixture)


def plain(data):
    return json.loads(json.dumps(data))


def test_an_invoice_answers_exactly_invoice_json(client, world, session):  # noqa: F811
    inv_id = issued_id(session, world, 10000, 2500)
    client.post(f"/api/v1/invoices/{inv_id}/payments", json={"amount_minor": 1000, "method": "check"})
    session.expire_all()
    inv = session.get(Invoice, inv_id)
    assert client.get(f"/api/v1/invoices/{inv_id}").json() == plain(service.invoice_json(session, inv))
    listed = [i for i in client.get("/api/v1/invoices").json()["items"] if i["id"] == inv_id]
    assert listed == [plain(service.invoice_json(session, inv, with_lines=False))]
    cn = client.post(f"/api/v1/invoices/{inv_id}/credit-note", json={"reason": "typo"}).json()
    session.expire_all()
    assert cn == plain(service.invoice_json(session, session.get(Invoice, cn["id"])))
    assert "lines" in cn and "lines" not in listed[0]  # the summary has no lines key, not "lines": null


def test_unbilled_candidates_answer_exactly_as_json(client, world, session):  # noqa: F811
    world.milestone(4000, kind="fixed")
    world.time(90)
    session.commit()
    got = client.get(f"/api/v1/projects/{world.pid}/unbilled", params={"up_to": UP_TO.isoformat()}).json()
    session.expire_all()  # read as the route did (a percent read back is "20.0000", not "20")
    want = [c.as_json() for c in service.unbilled_candidates(session, world.pid, UP_TO, create_periods=False)]
    assert got == {"items": plain(want), "next_cursor": None} and len(want) == 2


def test_the_models_keep_every_key_of_the_service_dicts(world, session):
    world.milestone(4000, kind="fixed")
    inv = service.build_invoice(session, SYSTEM, world.pid, UP_TO)
    full = plain(service.invoice_json(session, inv))
    assert InvoiceOut.model_validate(full).model_dump(mode="json") == full
    summary = plain(service.invoice_json(session, inv, with_lines=False))
    assert InvoiceSummaryOut.model_validate(summary).model_dump(mode="json") == summary
    world.milestone(100, kind="fixed")
    for cand in service.unbilled_candidates(session, world.pid, UP_TO, create_periods=False):
        assert CandidateOut.model_validate(cand.as_json()).model_dump(mode="json") == plain(cand.as_json())
