"""The seller profile: who issues l2c's documents and where the client pays.

Stored in `Organisation.settings["seller"]` (a JSON object: no column of its own, cheap to
extend) plus the logo as a `Document` (kind "logo") referenced by
`Organisation.logo_document_id`. Printed on quotes, invoices and credit notes (PDFs and the
public pages /q/<token>, /i/<token>).

Threat model: the profile is typed by an admin and printed on documents a client pays
from, so bank details are validated before they are saved (an IBAN with a wrong check digit
would send money nowhere, or to someone else). The logo is an uploaded file: only PNG and
JPEG, recognised by their first bytes (never by the name or the browser's content type),
at most LOGO_MAX_BYTES, kept in the database and served only by our own routes (never
Reflex's public /_upload).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from sqlmodel import Session

from l2c_app.core.audit import Actor, record_update, snapshot
from l2c_app.core.auth import get_organisation
from l2c_app.core.documents import store_document
from l2c_app.core.errors import DomainError
from l2c_app.core.models import Document

FIELDS = (
    "legal_name",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "tax_id",
    "iban",
    "bic",
    "account_number",
    "routing_code",
)
MAX_LEN = {
    "legal_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "postcode": 20,
    "city": 100,
    "country": 100,
    "tax_id": 40,
    "iban": 34,
    "bic": 11,
    "account_number": 34,
    "routing_code": 20,
}
LOGO_MAX_BYTES = 512 * 1024

# ISO 13616 IBAN lengths by country (the SEPA countries and the other registered ones that
# l2c's users are likely to bank in). A country not listed is checked by format and mod-97 only.
IBAN_LENGTH = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
}
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
# ISO 9362: 4 letters (bank), 2 letters (country), 2 letters/digits (location), optional 3 (branch).
_BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_ACCOUNT_RE = re.compile(r"^[A-Z0-9]{4,34}$")
_ROUTING_RE = re.compile(r"^[0-9]{2,12}$")


class SellerError(DomainError):
    """A value of the seller profile that cannot be saved (422, names the field)."""


def compact(value: str) -> str:
    """An IBAN, BIC or account number as typed ("de89 3704 0044 ...") -> "DE8937040044..."."""
    return re.sub(r"[\s\-.]", "", value or "").upper()


def iban_problem(iban: str) -> str:
    """Why the IBAN is not valid ("" when it is): format, the country's length, then mod-97."""
    iban = compact(iban)
    if not _IBAN_RE.match(iban):
        return "An IBAN starts with a 2-letter country code and 2 check digits, then up to 30 letters or digits."
    expected = IBAN_LENGTH.get(iban[:2])
    if expected and len(iban) != expected:
        return f"A {iban[:2]} IBAN has {expected} characters; this one has {len(iban)}."
    # ISO 7064 mod 97-10: move the first 4 characters to the end, letters to 10..35.
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return "The IBAN's check digits do not match: check it for a typing error."
    return ""


def bic_problem(bic: str) -> str:
    bic = compact(bic)
    if not _BIC_RE.match(bic):
        return (
            "A BIC has 8 or 11 letters and digits: bank (4 letters), country (2 letters), location (2), "
            "branch (3, optional)."
        )
    return ""


def format_iban(iban: str) -> str:
    """Printed in groups of four, as banks print it."""
    iban = compact(iban)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def seller_profile(session: Session) -> dict[str, str]:
    """Every field of the profile ("" when not given); `legal_name` falls back to the organisation's name."""
    org = get_organisation(session)
    stored = ((org.settings or {}).get("seller") or {}) if org else {}
    profile = {f: str(stored.get(f) or "") for f in FIELDS}
    profile["org_name"] = org.name if org else ""
    profile["display_name"] = profile["legal_name"] or profile["org_name"]
    profile["has_logo"] = "yes" if org and org.logo_document_id else ""
    return profile


def save_seller_profile(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, str]:
    """Validate and store the profile (all fields at once; missing keys are cleared)."""
    org = get_organisation(session)
    if org is None:
        raise SellerError("l2c is not set up yet.", kind="conflict")
    clean: dict[str, str] = {}
    for f in FIELDS:
        value = str(values.get(f) or "").strip()
        if "\x00" in value:
            raise SellerError("This field contains a character that cannot be stored.", f)
        if len(value) > MAX_LEN[f]:
            raise SellerError(f"At most {MAX_LEN[f]} characters.", f)
        clean[f] = value
    for f in ("iban", "bic", "account_number"):
        clean[f] = compact(clean[f])
    clean["routing_code"] = re.sub(r"[\s\-]", "", clean["routing_code"])
    if clean["iban"] and (problem := iban_problem(clean["iban"])):
        raise SellerError(problem, "iban")
    if clean["bic"] and (problem := bic_problem(clean["bic"])):
        raise SellerError(problem, "bic")
    if clean["bic"] and not clean["iban"] and not clean["account_number"]:
        raise SellerError("Enter the IBAN (or the account number) that goes with this BIC.", "iban")
    if clean["iban"] and clean["account_number"]:
        raise SellerError(
            "Give either an IBAN or an account number with its routing/sort code, not both.", "account_number"
        )
    if clean["account_number"]:
        if not _ACCOUNT_RE.match(clean["account_number"]):
            raise SellerError("An account number has 4 to 34 letters or digits.", "account_number")
        if not clean["routing_code"]:
            raise SellerError(
                "Enter the routing number or sort code that goes with the account number.", "routing_code"
            )
    if clean["routing_code"]:
        if not clean["account_number"]:
            raise SellerError(
                "Enter the account number that goes with this routing number or sort code.", "account_number"
            )
        if not _ROUTING_RE.match(clean["routing_code"]):
            raise SellerError(
                "A routing number or sort code has digits only (e.g. 12-34-56 or 021000021).", "routing_code"
            )
    before = snapshot(org)
    org.settings = {**(org.settings or {}), "seller": clean}
    record_update(session, actor, org, before, action="seller_profile")
    return seller_profile(session)


def _image_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return ""


def set_logo(session: Session, actor: Actor, data: bytes, filename: str = "logo") -> Document:
    """Store a new logo (PNG or JPEG, at most LOGO_MAX_BYTES) and make it the organisation's."""
    org = get_organisation(session)
    if org is None:
        raise SellerError("l2c is not set up yet.", kind="conflict")
    if not data:
        raise SellerError("Choose a PNG or JPEG file for the logo.", "logo")
    if len(data) > LOGO_MAX_BYTES:
        raise SellerError(
            f"The logo is {len(data) // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB.", "logo", kind="too_large"
        )
    content_type = _image_type(data)
    if not content_type:
        raise SellerError("The logo must be a PNG or JPEG image.", "logo")
    _check_decodable(data)
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename or "logo")[-100:] or "logo"
    doc = store_document(session, kind="logo", filename=safe_name, data=data, content_type=content_type)
    before = snapshot(org)
    org.logo_document_id = doc.id
    record_update(session, actor, org, before, action="logo")
    return doc


def _check_decodable(data: bytes) -> None:
    """A file that only starts like an image would break every PDF's header: open it first."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise SellerError("The logo file could not be read as an image.", "logo") from None


def remove_logo(session: Session, actor: Actor) -> None:
    org = get_organisation(session)
    if org is None or org.logo_document_id is None:
        return
    before = snapshot(org)
    org.logo_document_id = None  # the Document stays: PDFs already sent may refer to the same bytes
    record_update(session, actor, org, before, action="logo")


def logo_bytes(session: Session) -> bytes | None:
    org = get_organisation(session)
    if org is None or org.logo_document_id is None:
        return None
    doc = session.get(Document, org.logo_document_id)
    return doc.data if doc is not None else None


def logo_data_uri(session: Session) -> str:
    """The logo inline (data: URI) for the pages, so no file route or /_upload is needed."""
    org = get_organisation(session)
    if org is None or org.logo_document_id is None:
        return ""
    doc = session.get(Document, org.logo_document_id)
    if doc is None:
        return ""
    return f"data:{doc.content_type};base64,{base64.b64encode(doc.data).decode()}"


# --- what documents print ---------------------------------------------------------------------


def address_lines(p: dict[str, str]) -> list[str]:
    city = " ".join(x for x in (p.get("postcode", ""), p.get("city", "")) if x)
    return [x for x in (p.get("address_line1", ""), p.get("address_line2", ""), city, p.get("country", "")) if x]


def seller_lines(p: dict[str, str]) -> list[str]:
    """The "From" block: legal name, address, VAT id."""
    lines = [p.get("display_name") or p.get("org_name", "")] + address_lines(p)
    if p.get("tax_id"):
        lines.append(f"VAT id: {p['tax_id']}")
    return [x for x in lines if x]


def has_bank(p: dict[str, str]) -> bool:
    return bool(p.get("iban") or p.get("account_number"))


def bank_lines(p: dict[str, str]) -> list[str]:
    """The bank details as printed under "Pay by bank transfer"."""
    if not has_bank(p):
        return []
    lines = [f"Account holder: {p.get('display_name') or p.get('org_name', '')}"]
    if p.get("iban"):
        lines.append(f"IBAN: {format_iban(p['iban'])}")
        if p.get("bic"):
            lines.append(f"BIC: {p['bic']}")
    else:
        lines.append(f"Account number: {p['account_number']}")
        lines.append(f"Routing number / sort code: {p['routing_code']}")
    return lines


def seller_block_text(session: Session) -> str:
    """The "From" block as one text (pages show it with white-space: pre-line)."""
    return "\n".join(seller_lines(seller_profile(session)))
