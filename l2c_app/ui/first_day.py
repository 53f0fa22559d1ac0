"""The getting-started checklist on My day (issue 22): what a new organisation sets up, each
step linking to its page and ticked by what the database (or the configuration) already
holds, so nobody ticks a box by hand and a step done elsewhere (the API, the CLI) counts."""

from __future__ import annotations

from sqlmodel import Session, func, select

from l2c_app.core.auth import get_organisation
from l2c_app.core.config import Settings, get_settings
from l2c_app.core.models import User
from l2c_app.core.seller import seller_profile
from l2c_app.leads.models import Lead
from l2c_app.ports import payments, signatures
from l2c_app.quotes.models import CatalogItem, Quote, TaxRate


def _count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def checklist(session: Session, settings: Settings | None = None) -> list[dict]:
    """The steps in the order a team does them: key, title, what to do, link, done."""
    settings = settings or get_settings()
    org = get_organisation(session)
    seller = seller_profile(session)
    profile = bool(
        seller.get("legal_name")
        and seller.get("address_line1")
        and seller.get("tax_id")
        and (seller.get("iban") or seller.get("account_number"))
        and org
        and org.logo_document_id
    )
    steps = [
        (
            "profile",
            "Company profile",
            "Address, tax id, bank details and logo: printed on quotes and invoices.",
            "/settings",
            profile,
        ),
        (
            "catalog",
            "Catalog and taxes",
            "The services you sell and the tax rates they carry.",
            "/settings/catalog",
            _count(session, CatalogItem) > 0 and _count(session, TaxRate) > 0,
        ),
        (
            "team",
            "Invite the team",
            "Add your colleagues, each with the role they work in.",
            "/team",
            _count(session, User) > 1,
        ),
        (
            "lead_form",
            "Lead form on your website",
            "Copy the embed snippet: enquiries become leads here.",
            "/settings/leads",
            _count(session, Lead, Lead.source == "web") > 0,
        ),
        (
            "stripe",
            "Connect Stripe",
            "Clients pay invoices by card from their link.",
            "/settings",
            payments.gateway(settings).is_external,  # a processor is connected (Stripe)
        ),
        (
            "docusign",
            "Connect DocuSign",
            "Optional: contracts are signed in l2c itself until then.",
            "/settings",
            signatures.available(signatures.DOCUSIGN, settings),
        ),
        (
            "quote",
            "Your first quote",
            "Turn a deal into a quote the client accepts online.",
            "/quotes",
            _count(session, Quote) > 0,
        ),
    ]
    return [{"key": k, "title": t, "text": x, "href": h, "done": bool(d)} for k, t, x, h, d in steps]
