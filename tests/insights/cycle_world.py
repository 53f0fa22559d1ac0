"""A hand-computed world for cycle times and the forecast, built through the services a user
drives, each step at a chosen instant (`core.timeutil.clock` is set before each step).

    deal   source    lead   conv   sent   accept won    signed proj   time   issued paid
    Alpha  web       01-01  01-03  01-05  01-08  01-10  01-12  01-13  01-15  01-20  02-04
    Beta   referral  01-02  01-02  01-04  01-14  01-14  01-20  01-21  01-22  02-01  02-10
    Gamma  web       01-05  01-10  01-20  (waiting for the client since 01-20); EUR 1,000.00 in New
                     (10 %), expected close 2026-03-31
    Delta  web       01-06  01-07  lost on 01-25
    Echo   (no lead) open, USD 555.55 at 33 %, expected close 2026-03-15
    Foxtrot(no lead) open, EUR 200.00 in New (10 %), no expected close
All in 2026, organisation in UTC; "today" is 2026-02-15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from l2c_app.billing import service as billing
from l2c_app.contracts import service as contracts
from l2c_app.core import timeutil
from l2c_app.core.audit import SYSTEM, Actor
from l2c_app.core.auth import setup_organisation
from l2c_app.core.models import OutboxMessage
from l2c_app.leads import service as leads
from l2c_app.pipeline import service as pipeline
from l2c_app.pipeline.models import PipelineStage
from l2c_app.projects import service as projects
from l2c_app.projects.models import BudgetLine
from l2c_app.quotes import service as quotes

YEAR = 2026
TODAY = date(YEAR, 2, 15)


def at(month: int, day: int) -> datetime:
    return datetime(YEAR, month, day, 10, 0, tzinfo=UTC)


@dataclass
class CycleWorld:
    ids: dict[str, int]
    actor: Actor
    owner_name: str


def _stage(s: Session, name: str) -> PipelineStage:
    return s.exec(select(PipelineStage).where(PipelineStage.name == name)).one()


def build(s: Session, monkeypatch) -> CycleWorld:
    def clock(when: datetime) -> None:
        monkeypatch.setattr(timeutil, "clock", lambda: when)

    clock(at(1, 1) - timedelta(days=1))
    _org, owner = setup_organisation(
        s,
        org_name="Cycle Co",
        currency="EUR",
        timezone="UTC",
        owner_name="Olivia Owner",
        owner_email="olivia@cycle.test",
        password="long-password-1",
    )
    actor = Actor("user", owner.id)
    pipeline.ensure_stages(s)
    s.commit()
    ids: dict[str, int] = {}

    def lead(name: str, source: str, when: datetime) -> int:
        clock(when)
        res = leads.capture(
            s,
            {"name": name, "email": f"{name.lower()}@{name.lower()}.test", "company": f"{name} Ltd", "source": source},
            trusted=True,
        )
        return res.lead.id

    def convert(lead_id: int, when: datetime, value: int) -> int:
        clock(when)
        return leads.convert(s, actor, lead_id, value_minor=value).id

    def sent(deal_id: int, when: datetime):
        clock(when)
        q = quotes.create_quote_from_deal(s, actor, deal_id, currency="EUR")
        quotes.add_line(
            s,
            actor,
            q.id,
            description="Build",
            billing_kind="hourly",
            quantity="10",
            unit_price_minor=10_000,
            role="Developer",
        )
        quotes.send_quote(s, actor, q.id)
        return q

    def sale(name: str, source: str, days: dict[str, tuple[int, int]], *, via: str | None = None) -> int:
        lead_id = lead(name, source, at(*days["lead"]))
        deal_id = convert(lead_id, at(*days["converted"]), 100_000)
        if via:  # through another open stage first
            clock(at(*days["converted"]) + timedelta(hours=1))
            pipeline.move_deal(s, actor, deal_id, _stage(s, via).id)
        q = sent(deal_id, at(*days["sent"]))
        clock(at(*days["accepted"]))
        quotes.accept_quote(s, q.public_token, name="Carla Client", agreed=True)
        clock(at(*days["won"]) + timedelta(hours=2))
        pipeline.move_deal(s, actor, deal_id, _stage(s, "Won").id)
        clock(at(*days["signed"]))
        contract = contracts.create_from_quote(s, actor, q.id)
        contracts.send(s, actor, contract.id, provider="builtin")
        s.flush()
        msg = s.exec(
            select(OutboxMessage).where(OutboxMessage.link.like("%/sign/%")).order_by(OutboxMessage.id.desc())
        ).first()
        contracts.sign(s, msg.link.rsplit("/sign/", 1)[1], consent=True, typed_name="Carla Client")
        clock(at(*days["project"]))
        project = projects.create_project_from_contract(s, actor, contract.id)
        line = s.exec(select(BudgetLine).where(BudgetLine.project_id == project.id)).first()
        tday = date(YEAR, *days["time"])
        clock(at(*days["time"]))
        projects.upsert_time(
            s, actor, user_id=owner.id, project_id=project.id, day=tday, minutes=600, budget_line_id=line.id
        )
        from l2c_app.core.formats import week_start

        projects.approve_week(s, actor, owner.id, user_id=owner.id, project_id=project.id, monday=week_start(tday))
        clock(at(*days["issued"]))
        inv = billing.build_invoice(s, SYSTEM, project.id, date(YEAR, *days["issued"]))
        inv = billing.issue_invoice(s, actor, inv.id, issue_date=date(YEAR, *days["issued"]))
        clock(at(*days["paid"]))
        billing.record_manual_payment(
            s,
            actor,
            inv.id,
            amount_minor=inv.total_minor,
            method="bank_transfer",
            received_on=date(YEAR, *days["paid"]),
        )
        s.commit()
        return deal_id

    ids["alpha"] = sale(
        "Alpha",
        "web",
        {
            "lead": (1, 1),
            "converted": (1, 3),
            "sent": (1, 5),
            "accepted": (1, 8),
            "won": (1, 10),
            "signed": (1, 12),
            "project": (1, 13),
            "time": (1, 15),
            "issued": (1, 20),
            "paid": (2, 4),
        },
    )
    ids["beta"] = sale(
        "Beta",
        "referral",
        {
            "lead": (1, 2),
            "converted": (1, 2),
            "sent": (1, 4),
            "accepted": (1, 14),
            "won": (1, 14),
            "signed": (1, 20),
            "project": (1, 21),
            "time": (1, 22),
            "issued": (2, 1),
            "paid": (2, 10),
        },
        via="Qualified",
    )
    gamma_lead = lead("Gamma", "web", at(1, 5))
    ids["gamma"] = convert(gamma_lead, at(1, 10), 100_000)
    sent(ids["gamma"], at(1, 20))
    pipeline.update_deal(s, actor, ids["gamma"], {"expected_close": "2026-03-31"})
    delta_lead = lead("Delta", "web", at(1, 6))
    ids["delta"] = convert(delta_lead, at(1, 7), 70_000)
    clock(at(1, 25))
    pipeline.move_deal(s, actor, ids["delta"], _stage(s, "Lost").id, lost_reason="Went elsewhere")
    ids["echo"] = pipeline.create_deal(
        s, actor, title="Echo", value_minor=55_555, currency="USD", probability=33, expected_close="2026-03-15"
    ).id
    ids["foxtrot"] = pipeline.create_deal(s, actor, title="Foxtrot", value_minor=20_000, currency="EUR").id
    s.commit()
    clock(at(2, 15))
    return CycleWorld(ids, actor, owner.name)
