"""`l2c demo load`: a believable data set that walks the whole cycle.

Each stage owns a `demo.py` with `load(session, ctx)`: it reads what earlier stages put
in `ctx` (ids of users, deals, quotes ...) and adds its own. They run in cycle order.
"""

from __future__ import annotations

import importlib

from sqlmodel import Session, select

from l2c_app.core.auth import create_user, get_organisation, setup_needed, setup_organisation
from l2c_app.core.models import Organisation, User

STAGES = ["leads", "pipeline", "quotes", "contracts", "projects", "billing", "payments"]
DEMO_PASSWORD = "demo-password-1"


def _base(session: Session, ctx: dict) -> None:
    """Organisation and a team with every role (password demo-password-1)."""
    if get_organisation(session) is None:
        if setup_needed(session):
            setup_organisation(
                session,
                org_name="Northwind Studio",
                currency="EUR",
                timezone="Europe/Paris",
                owner_name="Olivia Owner",
                owner_email="owner@northwind.test",
                password=DEMO_PASSWORD,
            )
        else:  # users were made with the CLI before any setup: only the organisation is missing
            session.add(Organisation(name="Northwind Studio", currency="EUR", timezone="Europe/Paris"))
    team = [
        ("Olivia Owner", "owner@northwind.test", "owner"),
        ("Sam Seller", "sam@northwind.test", "sales"),
        ("Sofia Sales", "sofia@northwind.test", "sales"),
        ("Dan Delivery", "dan@northwind.test", "delivery"),
        ("Bea Billing", "bea@northwind.test", "billing"),
        ("Ada Admin", "ada@northwind.test", "admin"),
    ]
    for name, email, role in team:
        if session.exec(select(User).where(User.email == email)).first() is None:
            create_user(session, name=name, email=email, role=role, password=DEMO_PASSWORD)
    session.flush()
    ctx["users"] = {u.email: u.id for u in session.exec(select(User))}


def load_demo(session: Session) -> dict[str, int]:
    ctx: dict = {}
    _base(session, ctx)
    for stage in STAGES:
        try:
            module = importlib.import_module(f"l2c_app.{stage}.demo")
        except ModuleNotFoundError:
            continue
        module.load(session, ctx)
    return {"users": len(ctx["users"]), **{k: v for k, v in ctx.get("counts", {}).items()}}
