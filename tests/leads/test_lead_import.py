"""CSV import of leads: parsing, column guessing, per-row errors that keep the good rows."""

from __future__ import annotations

import pytest
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.models import Notification
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead

CSV = (
    "\ufeffFull Name;E-mail;Organisation;Notes\n"
    "Ann Baker;ann@globex.test;Globex;Wants a shop\n"
    ";nobody@x.test;X;missing name\n"
    "Ben Cole;not-an-email;Initech;\n"
    "Ann B;ANN@globex.test;Globex;again\n"
).encode()


def test_parse_and_guess_columns():
    headers, rows = svc.parse_csv(CSV)
    assert headers == ["Full Name", "E-mail", "Organisation", "Notes"] and len(rows) == 4
    assert svc.guess_mapping(headers) == {
        "name": "Full Name",
        "email": "E-mail",
        "company": "Organisation",
        "phone": "",
        "message": "Notes",
        "source": "",
    }
    with pytest.raises(svc.LeadError):
        svc.parse_csv(b"\n\n")


def test_import_keeps_good_rows_and_reports_each_bad_one(session, team):
    headers, rows = svc.parse_csv(CSV)
    mapping = svc.guess_mapping(headers)
    result = svc.import_chunk(session, Actor("user", team.owner.id), headers, rows, mapping, first_row_number=2)
    svc.notify_import(session, result.owners)
    session.commit()
    assert (result.imported, result.duplicates) == (2, 1)
    assert result.errors == [
        (3, "name", "enter a name"),
        (4, "email", "not a valid e-mail address, like name@company.com"),
    ]
    leads = session.exec(select(Lead).order_by(Lead.id)).all()
    assert [(ld.name, ld.source) for ld in leads] == [("Ann Baker", "import"), ("Ann B", "import")]
    assert leads[1].duplicate_of_lead_id == leads[0].id
    # One summary notification, not one per row.
    assert len(session.exec(select(Notification)).all()) == 1
    assert svc.errors_csv(result.errors).splitlines()[1] == "3,name,enter a name"


def test_import_needs_name_and_email_columns(session, team):
    with pytest.raises(svc.LeadError, match="mapping"):
        svc.import_chunk(session, Actor("user", team.owner.id), ["a"], [["x"]], {"name": "a", "email": ""}, 2)


def test_contacts_import_links_accounts_and_refuses_known_emails(session, team):
    from l2c_app.pipeline.models import Account, Contact

    raw = (
        b"Name,Email,Company,Job title\n"
        b"Ann Baker,ann@globex.test,Globex,CEO\n"
        b"Bob Stone,bob@globex.test,Globex Inc,CTO\n"
        b"Ann Again,ANN@globex.test,Globex,\n"
        b",x@y.test,Y,\n"
    )
    headers, rows = svc.parse_csv(raw)
    mapping = svc.guess_contact_mapping(headers)
    assert mapping == {"name": "Name", "email": "Email", "company": "Company", "phone": "", "title": "Job title"}
    result = svc.import_contacts_chunk(session, Actor("user", team.owner.id), headers, rows, mapping, 2)
    session.commit()
    assert result.imported == 2
    assert result.errors == [(4, "email", "already a contact"), (5, "name", "enter a name")]
    accounts = session.exec(select(Account)).all()
    assert [(a.name, a.domain) for a in accounts] == [("Globex", "globex.test")]  # same domain, one account
    assert {c.title for c in session.exec(select(Contact))} == {"CEO", "CTO"}
