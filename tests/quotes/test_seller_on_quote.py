"""The seller profile prints on the proposal PDF and on the client's page data."""

import io

from pypdf import PdfReader

from l2c_app.core import seller
from l2c_app.quotes import service as svc
from l2c_app.quotes.pdf import quote_pdf_bytes


def test_proposal_prints_the_seller_profile(session, world):
    q = svc.create_quote_from_deal(session, world.actor, world.deal.id)
    svc.add_line(session, world.actor, q.id, description="Audit", unit_price_minor=10000)
    before = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(quote_pdf_bytes(session, q.id))).pages)
    assert "VAT id" not in before and "Nørdwind Studio" in before
    seller.save_seller_profile(
        session,
        world.actor,
        {
            "legal_name": "Nørdwind Studio SARL",
            "address_line1": "3 quai X",
            "postcode": "75004",
            "city": "Paris",
            "tax_id": "FR40303265045",
        },
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(quote_pdf_bytes(session, q.id))).pages)
    for expected in ("Nørdwind Studio SARL", "3 quai X", "75004 Paris", "VAT id: FR40303265045", "Olivia Owner"):
        assert expected in text, expected
    assert seller.seller_block_text(session).splitlines()[0] == "Nørdwind Studio SARL"
