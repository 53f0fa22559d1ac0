"""Demo data of the quotes stage: tax rates, a catalog, and quotes on the first deals
(one accepted, one sent, one draft), all made through the service like a person would."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from l2c_app.core.audit import Actor
from l2c_app.pipeline.models import Deal
from l2c_app.quotes import service as svc
from l2c_app.quotes.models import CatalogItem, TaxRate


def load(session: Session, ctx: dict) -> None:
    owner_id = (ctx.get("users") or {}).get("owner@northwind.test")
    actor = Actor("user", owner_id) if owner_id else Actor("system", None, "demo")
    if session.exec(select(TaxRate)).first() is None:
        vat = svc.create_tax_rate(session, actor, name="VAT 20%", percent="20")
        svc.create_tax_rate(session, actor, name="VAT 5.5%", percent="5.5")
    else:
        vat = session.exec(select(TaxRate)).first()
    if session.exec(select(CatalogItem)).first() is None:
        for name, kind, role, price in [
            ("Discovery workshop", "fixed", None, 250000),
            ("Senior developer", "hourly", "Senior developer", 15000),
            ("Designer", "hourly", "Designer", 11000),
            ("Hosting and care plan", "recurring", None, 9900),
        ]:
            svc.create_catalog_item(
                session,
                actor,
                name=name,
                kind=kind,
                role=role,
                unit_price_minor=price,
                currency="EUR",
                tax_rate_id=vat.id,
            )
    session.flush()
    items = {i.name: i for i in svc.list_catalog(session) if i.currency == "EUR"}
    if not {"Discovery workshop", "Senior developer", "Designer", "Hosting and care plan"} <= set(items):
        return  # someone changed the demo catalog: leave their data alone
    deal_ids = ctx.get("deal_ids") or [d.id for d in session.exec(select(Deal).order_by(Deal.id).limit(3))]
    made = 0
    for n, deal_id in enumerate(deal_ids[:3]):
        deal = session.get(Deal, deal_id)
        if deal is None or deal.currency != "EUR" or svc.deal_quotes(session, deal_id):
            continue
        q = svc.create_quote_from_deal(session, actor, deal_id)
        svc.add_line(
            session,
            actor,
            q.id,
            catalog_item_id=items["Discovery workshop"].id,
            section="Discovery",
            billing_kind="milestone",
            due_date=(svc.org_today(session) + timedelta(days=14)).isoformat(),
        )
        svc.add_line(session, actor, q.id, catalog_item_id=items["Senior developer"].id, quantity="80", section="Build")
        svc.add_line(session, actor, q.id, catalog_item_id=items["Designer"].id, quantity="24")
        svc.add_line(
            session,
            actor,
            q.id,
            catalog_item_id=items["Hosting and care plan"].id,
            quantity="12",
            optional=True,
            section="Options",
        )
        svc.update_quote(
            session,
            actor,
            q.id,
            discount_percent="5",
            terms="50% on signature, 50% on delivery. Payment within 30 days of invoice.",
        )
        made += 1
        if n < 2 and deal.contact_id:
            try:
                svc.send_quote(session, actor, q.id)
            except svc.QuoteError:
                continue
            if n == 0:
                svc.accept_quote(
                    session, q.public_token, name="Demo Client", agreed=True, ip="127.0.0.1", user_agent="demo"
                )
    ctx.setdefault("counts", {})["quotes"] = made
