"""Lead capture rules: validation, honeypot, dedupe, assignment, notification, transitions, merge."""

from __future__ import annotations

import pytest
from sqlmodel import select

from l2c_app.core.audit import Actor
from l2c_app.core.models import AuditLog, Notification, OutboxMessage
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead
from l2c_app.pipeline.models import Account, Activity, Contact, PipelineStage, StageChange


def lead(session, email="ann@globex.test", **extra):
    data = {"name": "Ann Buyer", "email": email, "company": "Globex", "message": "We need a website", **extra}
    result = svc.capture(session, data, trusted=extra.pop("trusted", False) if "trusted" in extra else False)
    session.commit()
    return result.lead


def set_rules(session, team, **rules):
    args = dict(mode="round_robin", users=[], by_source={}, consent_text="I agree.")
    args.update(rules)
    svc.save_lead_settings(session, Actor("user", team.owner.id), **args)
    session.commit()


def test_validation_names_every_bad_field_and_stores_nothing(session, team):
    with pytest.raises(svc.LeadError) as exc:
        svc.capture(session, {"name": "", "email": "not-an-email", "phone": "call me", "company": "x" * 201})
    assert set(exc.value.errors) == {"name", "email", "phone", "company"}
    session.rollback()
    assert session.exec(select(Lead)).all() == []


def test_public_caller_may_not_choose_owner_or_source(session, team):
    with pytest.raises(svc.LeadError) as exc:
        svc.capture(session, {"name": "A", "email": "a@b.test", "owner_email": "sam@acme.test", "source": "ads"})
    assert set(exc.value.errors) == {"owner_email", "source"}


def test_trusted_caller_sets_source_owner_and_utm(session, team):
    result = svc.capture(
        session,
        {"name": "A", "email": "A@B.test", "owner_email": "SAM@acme.test", "source": "Ads", "utm_campaign": "spring"},
        trusted=True,
    )
    assert (result.lead.owner_id, result.lead.source, result.lead.utm_campaign, result.lead.email) == (
        team.sam.id,
        "ads",
        "spring",
        "a@b.test",
    )


def test_honeypot_stores_nothing(session, team):
    result = svc.capture(session, {"name": "Bot", "email": "bot@spam.test", "website": "http://spam"})
    assert result.lead is None
    assert session.exec(select(Lead)).all() == []


def test_round_robin_rotates_among_chosen_users(session, team):
    set_rules(session, team, users=[team.sam.id, team.sofia.id])
    owners = [lead(session, email=f"p{i}@firm{i}.test").owner_id for i in range(4)]
    assert owners == [team.sam.id, team.sofia.id, team.sam.id, team.sofia.id]


def test_by_source_then_round_robin_then_owner(session, team):
    set_rules(session, team, mode="by_source", by_source={"ads": team.sofia.id}, users=[team.sam.id])
    assert (
        svc.capture(session, {"name": "A", "email": "a@x1.test", "source": "ads"}, trusted=True).lead.owner_id
        == team.sofia.id
    )
    assert (
        svc.capture(session, {"name": "B", "email": "b@x2.test", "source": "fair"}, trusted=True).lead.owner_id
        == team.sam.id
    )
    set_rules(session, team, mode="by_source", by_source={}, users=[])
    assert lead(session, email="c@x3.test").owner_id == team.owner.id


def test_never_without_owner_when_chosen_users_are_inactive(session, team):
    set_rules(session, team, users=[team.sam.id])
    team.sam.is_active = False
    session.commit()
    assert lead(session).owner_id == team.owner.id


def test_new_owner_is_notified_in_app_and_by_mail(session, team):
    set_rules(session, team, users=[team.sofia.id])
    new = lead(session)
    note = session.exec(select(Notification).where(Notification.user_id == team.sofia.id)).one()
    assert "Ann Buyer" in note.text and note.link == f"/leads?lead={new.id}"
    assert session.exec(select(OutboxMessage).where(OutboxMessage.to == "sofia@acme.test")).first() is not None


def test_same_email_any_case_is_linked_and_flagged_not_dropped(session, team):
    first = lead(session, email="ann@globex.test")
    second = lead(session, email="ANN@Globex.TEST")
    assert second.id != first.id
    assert second.duplicate_of_lead_id == first.id
    assert second.owner_id == first.owner_id  # goes to whoever already talks to them


def test_same_company_domain_is_a_duplicate_but_free_mail_is_not(session, team):
    first = lead(session, email="ann@globex.test")
    assert lead(session, email="bob@globex.test").duplicate_of_lead_id == first.id
    g1 = lead(session, email="x@gmail.com")
    assert lead(session, email="y@gmail.com").duplicate_of_lead_id is None
    assert g1.duplicate_of_lead_id is None


def test_closed_leads_are_not_duplicates_but_contacts_are(session, team):
    first = lead(session)
    svc.disqualify(session, Actor("user", team.owner.id), first.id, "spam")
    session.commit()
    assert lead(session).duplicate_of_lead_id is None
    acc = Account(name="Initech", domain="initech.test")
    session.add(acc)
    session.flush()
    c = Contact(account_id=acc.id, name="Peter", email="peter@initech.test")
    session.add(c)
    session.commit()
    assert lead(session, email="milton@initech.test").duplicate_of_contact_id == c.id  # same domain
    assert lead(session, email="PETER@initech.test").duplicate_of_contact_id == c.id  # same e-mail beats domain


def test_qualify_disqualify_need_the_right_state_and_a_reason(session, team):
    actor = Actor("user", team.owner.id)
    ld = lead(session)
    with pytest.raises(svc.LeadError, match="reason"):
        svc.disqualify(session, actor, ld.id, " ")
    assert svc.qualify(session, actor, ld.id).status == "qualified"
    assert svc.disqualify(session, actor, ld.id, "no budget").disqualify_reason == "no budget"
    actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.entity == "lead"))]
    assert actions == ["create", "qualify", "disqualify"]


def test_convert_carries_every_field_into_account_contact_and_deal(session, team):
    ld = svc.capture(
        session,
        {
            "name": "Ann Buyer",
            "email": "ann@globex.test",
            "company": "Globex",
            "phone": "+33 1",
            "message": "Website please",
            "source": "ads",
            "utm_campaign": "spring",
        },
        trusted=True,
    ).lead
    session.add(Activity(lead_id=ld.id, kind="call", subject="First call"))
    deal = svc.convert(session, Actor("user", team.sam.id), ld.id, value_minor=500000)
    session.commit()
    acc, contact = session.get(Account, deal.account_id), session.get(Contact, deal.contact_id)
    assert (acc.name, acc.domain, acc.phone) == ("Globex", "globex.test", "+33 1")
    assert (contact.name, contact.email, contact.phone, contact.account_id) == (
        "Ann Buyer",
        "ann@globex.test",
        "+33 1",
        acc.id,
    )
    first = session.exec(select(PipelineStage).order_by(PipelineStage.position)).first()
    assert (deal.title, deal.stage_id, deal.owner_id, deal.source, deal.lead_id, deal.value_minor) == (
        "Globex",
        first.id,
        ld.owner_id,
        "ads",
        ld.id,
        500000,
    )
    assert "Website please" in deal.description and "spring" in deal.description
    assert (ld.status, ld.deal_id) == ("converted", deal.id)
    assert session.exec(select(StageChange).where(StageChange.deal_id == deal.id)).one().to_stage_id == first.id
    subjects = {a.subject for a in session.exec(select(Activity).where(Activity.deal_id == deal.id))}
    assert "First call" in subjects
    with pytest.raises(svc.LeadError, match="already converted"):
        svc.convert(session, Actor("user", team.sam.id), ld.id)


def test_convert_links_existing_account_and_contact(session, team):
    acc = Account(name="Globex Corporation", domain="globex.test")
    session.add(acc)
    session.flush()
    c = Contact(account_id=acc.id, name="Ann", email="ann@globex.test")
    session.add(c)
    session.commit()
    ld = lead(session, email="Ann@globex.test")
    deal = svc.convert(session, Actor("user", team.owner.id), ld.id)
    assert (deal.account_id, deal.contact_id) == (acc.id, c.id)
    assert len(session.exec(select(Account)).all()) == 1


def test_merge_folds_duplicate_into_primary(session, team):
    primary = lead(session, email="ann@globex.test", company=None)
    dup = svc.capture(
        session,
        {"name": "Ann B", "email": "ann@globex.test", "company": "Globex", "phone": "123", "message": "Second note"},
    ).lead
    session.commit()
    merged = svc.merge(session, Actor("user", team.owner.id), primary.id, dup.id)
    assert (merged.company, merged.phone) == ("Globex", "123")
    assert "Second note" in merged.message
    assert (dup.status, dup.duplicate_of_lead_id) == ("merged", primary.id)
    with pytest.raises(svc.LeadError):
        svc.merge(session, Actor("user", team.owner.id), primary.id, dup.id)


def test_list_filters_sort_and_page(session, team):
    set_rules(session, team, users=[team.sam.id, team.sofia.id])
    for i in range(7):
        lead(session, email=f"p{i}@co{i}.test", company=f"Co {i}")
    res = svc.list_leads(session, owner_id=team.sam.id, sort="email", desc=False, page=1, per_page=3)
    assert res["total"] == 4
    assert [r.email for r in res["rows"]] == ["p0@co0.test", "p2@co2.test", "p4@co4.test"]
    assert svc.list_leads(session, q="CO 6")["total"] == 1
    csv_text = svc.export_csv(session, owner_id=team.sofia.id)
    assert csv_text.count("\n") == 4 and "sofia@acme.test" in csv_text


def test_rate_limit_counts_stored_leads_per_ip(session, team):
    set_rules(session, team, rate_limit_per_minute=2)
    for i in range(2):
        svc.capture(session, {"name": "A", "email": f"a{i}@x.test"}, ip="10.0.0.1")
    session.commit()
    assert svc.rate_limited(session, "10.0.0.1") >= 1
    assert svc.rate_limited(session, "10.0.0.2") == 0


def test_only_people_with_access_to_leads_can_receive_them(session, team):
    from l2c_app.core.auth import create_user

    dan = create_user(session, name="Dan", email="dan@acme.test", role="delivery", password=None)
    session.flush()
    with pytest.raises(svc.LeadError) as exc:
        set_rules(session, team, users=[team.sam.id, dan.id])
    assert "users" in exc.value.errors


def test_manual_assign_notifies_the_new_owner(session, team):
    ld = lead(session)
    svc.assign(session, Actor("user", team.owner.id), ld.id, team.sofia.id)
    session.commit()
    assert ld.owner_id == team.sofia.id
    assert session.exec(
        select(Notification).where(Notification.user_id == team.sofia.id, Notification.text.like("Lead handed to you%"))
    ).one()


def test_concurrent_public_posts_cannot_beat_the_rate_limit(db_url, team):
    """A burst from one IP, in parallel transactions, stores exactly the limit (10 a minute)."""
    import threading

    from sqlmodel import Session, func, select

    from l2c_app.core.db import engine_for

    stored, refused, errors = [], [], []
    barrier = threading.Barrier(20)

    def post(i: int) -> None:
        try:
            barrier.wait()
            with Session(engine_for(db_url)) as s:
                if svc.rate_limited(s, "198.51.100.7"):
                    refused.append(i)
                    return
                svc.capture(s, {"name": f"Bot {i}", "email": f"bot{i}@spam.test"}, ip="198.51.100.7")
                s.commit()
                stored.append(i)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine_for(db_url)) as s:
        count = s.exec(select(func.count()).select_from(Lead).where(Lead.ip == "198.51.100.7")).one()
    assert len(stored) == count == svc.DEFAULT_RATE_LIMIT and len(refused) == 20 - svc.DEFAULT_RATE_LIMIT


@pytest.mark.parametrize(
    "value", ["=1+1", "+1", "-1", "@SUM(A1)", ";cmd", "\tx", "\rx", "＝1+1", "＋1", " =1", "|calc", "％x"]
)
def test_csv_export_neutralises_every_formula_start(value):
    from l2c_app.core.csvsafe import safe_cell

    assert safe_cell(value) == "'" + value
    assert safe_cell("Acme; Inc") == "Acme; Inc" and safe_cell(5) == 5
