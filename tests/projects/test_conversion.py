"""Signed contract (or won deal) -> project: the quote becomes the plan with the same money."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from l2c_app.contracts.models import Contract
from l2c_app.core.audit import Actor
from l2c_app.core.auth import get_organisation
from l2c_app.core.models import AuditLog
from l2c_app.pipeline.models import Activity
from l2c_app.projects import service as svc
from l2c_app.projects.models import BudgetLine, Milestone, Project, ProjectMember, ProjectQuote, Retainer
from l2c_app.quotes.models import QuoteLine
from tests.conftest import examples_for

from .conftest import make_deal, make_quote


def test_signed_contract_becomes_a_project_with_the_quote_as_plan(session, world):
    project = svc.create_project_from_contract(session, world.actor, world.contract.id)
    session.commit()
    assert (project.deal_id, project.account_id, project.contract_id) == (
        world.deal.id,
        world.account.id,
        world.contract.id,
    )
    assert session.exec(select(ProjectQuote.quote_id)).all() == [world.quote.id]
    fixed, milestone = session.exec(select(Milestone).order_by(Milestone.id)).all()
    assert (fixed.kind, fixed.amount_minor) == ("fixed", 250000)
    assert (milestone.kind, milestone.amount_minor, milestone.due_date) == ("milestone", 400000, date(2026, 12, 15))
    bl = session.exec(select(BudgetLine)).one()
    assert (bl.role, bl.budget_minutes, bl.rate_minor, bl.amount_minor) == ("Senior developer", 2400, 12000, 480000)
    ret = session.exec(select(Retainer)).one()
    assert (ret.amount_minor, ret.months, ret.planned_minor) == (9900, 12, 118800)
    # the unselected optional line is not part of the plan
    assert svc.planned_total(session, project.id) == 250000 + 400000 + 480000 + 118800
    assert session.exec(select(ProjectMember.user_id)).all() == [world.owner.id]
    assert session.exec(select(Activity).where(Activity.deal_id == world.deal.id)).first().subject.startswith("Project")
    assert session.exec(select(AuditLog).where(AuditLog.entity == "project", AuditLog.action == "create")).one()


def test_converting_twice_is_refused_with_a_link(session, world):
    project = svc.create_project_from_contract(session, world.actor, world.contract.id)
    session.commit()
    with pytest.raises(svc.AlreadyConverted) as exc:
        svc.create_project_from_contract(session, world.actor, world.contract.id)
    assert exc.value.link == f"/projects/{project.id}" and exc.value.status == 409
    with pytest.raises(svc.AlreadyConverted):
        svc.create_project_from_deal(session, world.actor, world.deal.id)


def test_unsigned_contract_is_refused(session, world):
    contract = Contract(deal_id=world.deal.id, title="Draft", status="sent")
    session.add(contract)
    session.commit()
    with pytest.raises(svc.DeliveryError, match="not signed"):
        svc.create_project_from_contract(session, world.actor, contract.id)
    with pytest.raises(svc.NotFound):
        svc.create_project_from_contract(session, world.actor, 999_999)


def test_several_accepted_quotes_of_one_deal_feed_one_project(session, world):
    extra = make_quote(
        session,
        world.deal,
        [dict(description="Extra pages", billing_kind="fixed", quantity=Decimal("2"), unit_price_minor=30000)],
    )
    make_quote(
        session,
        world.deal,
        [dict(description="Declined idea", quantity=Decimal("1"), unit_price_minor=99)],
        status="declined",
    )
    project = svc.create_project_from_contract(session, world.actor, world.contract.id)
    assert set(session.exec(select(ProjectQuote.quote_id)).all()) == {world.quote.id, extra.id}
    later = make_quote(session, world.deal, [dict(description="Later", quantity=Decimal("1"), unit_price_minor=5000)])
    assert [q["id"] for q in svc.quotes_to_add(session, project.id)] == [later.id]
    svc.add_quote_to_project(session, world.actor, project.id, later.id)
    assert svc.quotes_to_add(session, project.id) == []
    assert svc.planned_total(session, project.id) == 1248800 + 60000 + 5000
    with pytest.raises(svc.AlreadyConverted):
        svc.add_quote_to_project(session, world.actor, project.id, later.id)


def test_won_deal_with_accepted_quote_converts_without_contract(session, world):
    deal = make_deal(session, "Audit", status="won")
    make_quote(session, deal, [dict(description="Audit", quantity=Decimal("1"), unit_price_minor=100000)])
    project = svc.create_project_from_deal(session, world.actor, deal.id)
    assert project.contract_id is None and svc.planned_total(session, project.id) == 100000
    open_deal = make_deal(session, "Maybe", status="open")
    make_quote(session, open_deal, [dict(description="X", quantity=Decimal("1"), unit_price_minor=1)])
    with pytest.raises(svc.DeliveryError, match="won"):
        svc.create_project_from_deal(session, world.actor, open_deal.id)
    with pytest.raises(svc.DeliveryError, match="no accepted quote"):
        svc.create_project_from_deal(session, world.actor, make_deal(session, "Empty").id)


def test_auto_project_on_signature_follows_the_setting(session, world):
    assert svc.on_contract_signed(session, world.contract.id) is None  # off by default
    svc.save_delivery_settings(session, world.actor, time_approval_required=True, auto_project_on_signature=True)
    assert get_organisation(session).settings["auto_project_on_signature"] is True
    project = svc.on_contract_signed(session, world.contract.id)
    assert project is not None and project.contract_id == world.contract.id
    assert svc.on_contract_signed(session, world.contract.id) is None  # second signal: nothing new
    assert len(session.exec(select(Project)).all()) == 1


def expected_quote_total(lines: list[dict], quote_discount: Decimal) -> int:
    """The quote's total before tax, written out independently of the service: each
    included line rounded once, half-up, after both discounts; then summed. An hourly
    line is priced as its time will be billed: the minutes times the hourly rate after
    both discounts (rounded once), / 60, rounded once."""

    def half_up(d: Decimal) -> int:
        return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    total = 0
    for ln in lines:
        if ln.get("optional") and not ln.get("selected", True):
            continue
        if ln.get("billing_kind") == "hourly":
            rate = half_up(
                ln["unit_price_minor"] * (100 - Decimal(ln.get("discount_percent", 0))) * (100 - quote_discount) / 10000
            )
            total += half_up(half_up(Decimal(ln["quantity"]) * 60) * Decimal(rate) / 60)
            continue
        exact = (
            Decimal(ln["quantity"])
            * ln["unit_price_minor"]
            * (100 - Decimal(ln.get("discount_percent", 0)))
            * (100 - quote_discount)
            / 10000
        )
        total += int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total


def test_quote_discount_keeps_the_total(session, world):
    lines = [
        dict(description="A", quantity=Decimal("1"), unit_price_minor=333, discount_percent=Decimal("10")),
        dict(description="B", billing_kind="hourly", role="Dev", quantity=Decimal("1.5"), unit_price_minor=10001),
        dict(description="C", billing_kind="recurring", quantity=Decimal("3"), unit_price_minor=333),
    ]
    deal = make_deal(session, "Discounted")
    quote = make_quote(session, deal, lines, discount="7.5")
    project = svc.create_project_from_deal(session, world.actor, deal.id)
    # A: 333 x 0.9 x 0.925 = 277.2225 -> 277; C: 999 x 0.925 = 924.075 -> 924;
    # B (hourly) is priced as its time bills: rate 10001 x 0.925 = 9250.925 -> 9251, 90 min x 9251 / 60
    # = 13876.5 -> 13877 (not 13876.3875 -> 13876, which logging the 1.5 h would never bill)
    assert svc.planned_total(session, project.id) == 277 + 13877 + 924 == expected_quote_total(lines, Decimal("7.5"))
    rows = session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id)).all()
    assert svc.quote_net_total(quote, rows) == 277 + 13877 + 924
    ret = session.exec(select(Retainer).where(Retainer.project_id == project.id)).one()
    assert sum(svc.retainer_period_amount(ret, i) for i in range(ret.months)) == ret.planned_minor == 924
    bl = session.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).one()
    assert (bl.budget_minutes, bl.rate_minor, bl.amount_minor) == (90, 9251, 13877)  # rate 10001 x 0.925, rounded


line_st = st.fixed_dictionaries(
    {
        "description": st.just("Line"),
        "billing_kind": st.sampled_from(["fixed", "milestone", "hourly", "recurring"]),
        "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("500"), places=3),
        "unit_price_minor": st.integers(min_value=0, max_value=5_000_000),
        "discount_percent": st.decimals(min_value=0, max_value=100, places=2),
        "optional": st.booleans(),
        "selected": st.booleans(),
        "role": st.just("Role"),
    }
)


def test_property_planned_total_equals_accepted_quote_total(session, world):
    @settings(max_examples=examples_for(str(session.get_bind().url), 40, 8), deadline=None)
    @given(lines=st.lists(line_st, min_size=1, max_size=8), discount=st.decimals(min_value=0, max_value=50, places=2))
    def prop(lines, discount):
        deal = make_deal(session, "Property")
        make_quote(session, deal, lines, discount=str(discount))
        project = svc.create_project_from_deal(session, world.actor, deal.id)
        assert svc.planned_total(session, project.id) == expected_quote_total(lines, discount)
        for ret in session.exec(select(Retainer).where(Retainer.project_id == project.id)):
            if ret.months:
                assert sum(svc.retainer_period_amount(ret, i) for i in range(ret.months)) == ret.planned_minor
        session.rollback()

    prop()


def test_line_amount_is_rounded_once_half_up():
    quote = SimpleNamespace(discount_percent=Decimal("0"))
    half = SimpleNamespace(
        quantity=Decimal("1"),
        unit_price_minor=5,
        discount_percent=Decimal("10"),
        position=0,
        id=1,
        optional=False,
        selected=True,
    )
    third = SimpleNamespace(
        quantity=Decimal("0.333"),
        unit_price_minor=100,
        discount_percent=Decimal("0"),
        position=1,
        id=2,
        optional=False,
        selected=True,
    )
    assert [a for _, a in svc.quote_plan_amounts(quote, [third, half])] == [5, 33]  # 4.5 -> 5 (half-up), in order


def test_milestone_reached_once(session, world):
    project = svc.create_project_from_contract(session, world.actor, world.contract.id)
    ms = session.exec(select(Milestone).where(Milestone.project_id == project.id, Milestone.kind == "milestone")).one()
    svc.mark_milestone_reached(session, Actor("user", world.owner.id), ms.id, date(2026, 12, 1))
    assert (ms.status, ms.reached_on) == ("reached", date(2026, 12, 1))
    with pytest.raises(svc.DeliveryError, match="already reached"):
        svc.mark_milestone_reached(session, world.actor, ms.id)
