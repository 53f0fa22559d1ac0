"""The getting-started checklist of My day ticks each step from what is stored (issue 22)."""

from __future__ import annotations

import io

from l2c_app.core import seller
from l2c_app.core.audit import Actor
from l2c_app.core.auth import create_user, setup_organisation
from l2c_app.core.config import Settings
from l2c_app.quotes import service as quotes
from l2c_app.ui.first_day import checklist

ADMIN = Actor("user", None)
BASE = dict(database_url="sqlite://", redis_url=None, app_base_url="http://localhost", secret_key="x" * 32)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (62, 99, 221)).save(out, format="PNG")
    return out.getvalue()


def done(session, **settings) -> set[str]:
    return {s["key"] for s in checklist(session, Settings(**BASE, **settings)) if s["done"]}


def test_a_new_organisation_has_everything_to_do_and_each_step_ticks_itself(session):
    setup_organisation(
        session,
        org_name="Acme",
        currency="EUR",
        timezone="Europe/Paris",
        owner_name="Olivia",
        owner_email="o@acme.test",
        password="a-long-password-1",
    )
    steps = checklist(session, Settings(**BASE))
    assert [s["key"] for s in steps] == ["profile", "catalog", "team", "lead_form", "stripe", "docusign", "quote"]
    assert all(s["href"].startswith("/") for s in steps)
    assert done(session) == set()

    create_user(session, name="Sam", email="sam@acme.test", role="sales", password="a-long-password-2")
    assert done(session) == {"team"}

    tax = quotes.create_tax_rate(session, ADMIN, name="VAT", percent="20")
    assert "catalog" not in done(session)  # a tax rate alone is not a catalog
    quotes.create_catalog_item(
        session, ADMIN, name="Design day", unit_price_minor=80000, currency="EUR", unit="day", tax_rate_id=tax.id
    )
    assert "catalog" in done(session)

    seller.save_seller_profile(
        session,
        ADMIN,
        {
            "legal_name": "Acme SAS",
            "address_line1": "1 rue de la Paix",
            "postcode": "75002",
            "city": "Paris",
            "country": "FR",
            "tax_id": "FR40303265045",
            "iban": "FR7630006000011234567890189",
        },
    )
    assert "profile" not in done(session)  # no logo yet
    seller.set_logo(session, ADMIN, _png(), "logo.png")
    assert "profile" in done(session)

    assert {"stripe", "docusign"} <= done(
        session, stripe_api_key="sk_test_x", docusign_integration_key="k", docusign_user_id="u", docusign_account_id="a"
    )
    assert "docusign" not in done(session, docusign_integration_key="k")  # half configured
