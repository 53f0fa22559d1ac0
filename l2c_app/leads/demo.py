"""Demo leads: a few web and partner leads, one duplicate, one disqualified (see l2c_app/demo.py)."""

from __future__ import annotations

from sqlmodel import Session, select

from l2c_app.core.audit import Actor
from l2c_app.leads import service as svc
from l2c_app.leads.models import Lead

LEADS = [
    ("Ann Baker", "ann@globex.test", "Globex", "web", "A new website and a shop before spring."),
    ("Ben Cole", "ben@initech.test", "Initech", "partner", "Redesign of our customer portal."),
    ("Cara Diaz", "cara@umbrella.test", "Umbrella", "web", "Monthly maintenance and hosting."),
    ("Dev Evans", "dev@hooli.test", "Hooli", "ads", "Mobile app prototype."),
    ("Eve Ford", "eve@piedpiper.test", "Pied Piper", "web", "Brand refresh and landing page."),
    ("Finn Gray", "finn@stark.test", "Stark Industries", "partner", "Intranet migration."),
    ("Ann Baker", "ANN@globex.test", "Globex", "web", "Following up on my request."),  # duplicate
    ("Spam Bot", "win@prizes.test", None, "web", "You won!"),
]


def load(session: Session, ctx: dict) -> None:
    if session.exec(select(Lead)).first() is not None:
        return
    users = ctx.get("users") or {}
    owner = users.get("owner@northwind.test")
    sellers = [users[e] for e in ("sam@northwind.test", "sofia@northwind.test") if e in users]
    actor = Actor("user", owner)
    svc.save_lead_settings(
        session,
        actor,
        mode="by_source",
        users=sellers,
        by_source={"partner": sellers[0]} if sellers else {},
        consent_text="I agree that Northwind Studio keeps my details to answer my request.",
    )
    ids = []
    for name, email, company, source, message in LEADS:
        lead = svc.capture(
            session,
            {"name": name, "email": email, "company": company, "source": source, "message": message},
            trusted=True,
        ).lead
        ids.append(lead.id)
    svc.disqualify(session, actor, ids[-1], "Spam")
    svc.qualify(session, actor, ids[2])
    ctx["lead_ids"] = ids
    ctx.setdefault("counts", {})["leads"] = len(ids)
