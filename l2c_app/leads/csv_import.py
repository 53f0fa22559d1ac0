"""Importing leads and contacts from CSV: parsing, guessing the column mapping, importing a chunk."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from l2c_app.core.audit import Actor, record_create
from l2c_app.core.csvsafe import safe_cell
from l2c_app.core.notify import notify
from l2c_app.leads.capture import capture, email_domain
from l2c_app.leads.common import LeadError
from l2c_app.pipeline.models import Account, Contact

# --- CSV import --------------------------------------------------------------------------------

IMPORT_FIELDS = ("name", "email", "company", "phone", "message", "source")
_GUESSES = {
    "name": ("name", "full name", "fullname", "contact", "contact name", "nom"),
    "email": ("email", "e-mail", "mail", "email address", "e-mail address"),
    "company": ("company", "organisation", "organization", "account", "company name", "societe"),
    "phone": ("phone", "telephone", "tel", "mobile", "phone number"),
    "message": ("message", "notes", "note", "comment", "comments", "description"),
    "source": ("source", "lead source", "channel"),
}
MAX_IMPORT_ROWS = 100_000


def parse_csv(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of an uploaded CSV (UTF-8 with or without BOM, else Latin-1; , or ; or tab)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        raise LeadError({"file": "the file is empty"})
    headers = [h.strip() for h in rows[0]]
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise LeadError({"file": f"at most {MAX_IMPORT_ROWS} rows per import"})
    return headers, rows[1:]


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Field -> CSV header, guessed from common column names ("" = not imported)."""
    lower = {h.lower().strip(): h for h in headers}
    return {f: next((lower[g] for g in _GUESSES[f] if g in lower), "") for f in IMPORT_FIELDS}


def map_row(headers: list[str], row: list[str], mapping: dict[str, str]) -> dict[str, str]:
    index = {h: i for i, h in enumerate(headers)}
    out = {}
    for field_name, header in mapping.items():
        i = index.get(header) if header else None
        out[field_name] = row[i].strip() if i is not None and i < len(row) else ""
    return out


@dataclass
class ImportChunk:
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row number, field, message
    owners: dict[int, int] = field(default_factory=dict)  # owner id -> leads given


def import_chunk(
    session: Session,
    actor: Actor,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    first_row_number: int,
) -> ImportChunk:
    """Capture a slice of an import; a bad row is reported (row number, field) and the others kept.

    Each row runs in a savepoint so one failure never undoes its neighbours; owners get one
    summary notification per import (`notify_import`), not one per row.
    """
    if not mapping.get("name") or not mapping.get("email"):
        raise LeadError({"mapping": "map the name and e-mail columns"})
    out = ImportChunk()
    session.info["leads_import_cache"] = {}
    try:
        _import_rows(session, actor, headers, rows, mapping, first_row_number, out)
    finally:
        session.info.pop("leads_import_cache", None)
    return out


def _import_rows(
    session: Session,
    actor: Actor,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    first_row_number: int,
    out: ImportChunk,
) -> None:
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        data = map_row(headers, row, mapping)
        if not data.get("source"):
            data["source"] = "import"
        try:
            with session.begin_nested():
                result = capture(session, data, trusted=True, actor=actor, notify_owner=False)
        except LeadError as exc:
            for f, msg in exc.errors.items():
                out.errors.append((number, f, msg))
            continue
        lead = result.lead
        out.imported += 1
        out.duplicates += int(result.duplicate)
        if lead is not None and lead.owner_id:
            out.owners[lead.owner_id] = out.owners.get(lead.owner_id, 0) + 1


def notify_import(session: Session, owners: dict[int, int]) -> None:
    for owner_id, count in owners.items():
        notify(
            session, owner_id, "lead_assigned", f"{count} imported lead(s) assigned to you", link="/leads?status=new"
        )


def errors_csv(errors: list[tuple[int, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "error"])
    writer.writerows([[safe_cell(c) for c in row] for row in errors])
    return out.getvalue()


CONTACT_FIELDS = ("name", "email", "company", "phone", "title")
_GUESSES["title"] = ("title", "job title", "position", "role")


def guess_contact_mapping(headers: list[str]) -> dict[str, str]:
    lower = {h.lower().strip(): h for h in headers}
    return {f: next((lower[g] for g in _GUESSES[f] if g in lower), "") for f in CONTACT_FIELDS}


def import_contacts_chunk(
    session: Session,
    actor: Actor,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    first_row_number: int,
) -> ImportChunk:
    """Contacts (with their account, found by e-mail domain or company name, else created).

    A contact whose e-mail already exists is reported, not duplicated.
    """
    if not mapping.get("name"):
        raise LeadError({"mapping": "map the name column"})
    out = ImportChunk()
    for offset, row in enumerate(rows):
        number = first_row_number + offset
        data = map_row(headers, row, mapping)
        errors: dict[str, str] = {}
        name, email = data.get("name", ""), (data.get("email") or "").lower()
        if not name:
            errors["name"] = "enter a name"
        if email:
            local, _, domain = email.partition("@")
            if not local or "." not in domain or " " in email:
                errors["email"] = "not a valid e-mail address, like name@company.com"
            elif session.exec(select(Contact).where(Contact.email == email)).first() is not None:
                errors["email"] = "already a contact"
        for f, limit in (("name", 200), ("company", 200), ("phone", 50), ("title", 100)):
            if len(data.get(f) or "") > limit:
                errors[f] = f"at most {limit} characters"
        if errors:
            out.errors.extend((number, f, m) for f, m in errors.items())
            continue
        domain = email_domain(email) if email else None
        company = data.get("company") or None
        account = None
        if domain:
            account = session.exec(select(Account).where(Account.domain == domain)).first()
        if account is None and company:
            account = session.exec(select(Account).where(func.lower(Account.name) == company.lower())).first()
        if account is None and (company or domain):
            account = Account(name=company or domain, domain=domain)
            session.add(account)
            record_create(session, actor, account)
        contact = Contact(
            account_id=account.id if account else None,
            name=name,
            email=email or None,
            phone=data.get("phone") or None,
            title=data.get("title") or None,
        )
        session.add(contact)
        record_create(session, actor, contact)
        out.imported += 1
    return out
