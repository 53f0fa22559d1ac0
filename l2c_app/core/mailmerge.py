"""E-mail merge fields: `{client_name}`, `{document_number}`, `{total}`, `{link}`, `{due_date}` ...

The composer (sending a quote, contract, change order or invoice) shows a subject and a body
with merge fields; `render` fills them from the document's values, the same function for the
live preview and for the message that is sent. A field that is not known is refused with a
message naming it (never sent as typed); `{{` and `}}` write a literal brace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from l2c_app.core.errors import DomainError

# Every field a message may use, with what it means (the composer lists them).
FIELDS: dict[str, str] = {
    "client_name": "the client (company) name",
    "contact_name": "the person the e-mail is to",
    "document_number": "the quote, contract, change order or invoice number",
    "document_title": "the document's title",
    "total": "the amount, with its currency",
    "link": "the client's link to view (and accept, sign or pay) the document",
    "due_date": "the due date (an invoice), or the date a quote or signing link is valid until",
    "description": "what a change order changes (its text)",
    "org_name": "your organisation's name",
    "sender_name": "your name",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+$")
MAX_CC = 10
MAX_CC_CHARS = 1000  # OutboxMessage.cc holds the joined addresses in 1,000 characters


def unknown_fields(template: str) -> list[str]:
    """The `{names}` in `template` that are not merge fields, in order, once each."""
    out: list[str] = []
    for m in _TOKEN.finditer(template or ""):
        name = m.group(1)
        if name is not None and name not in FIELDS and name not in out:
            out.append(name)
    return out


def render(template: str, values: Mapping[str, str], *, field_name: str = "body") -> str:
    """`template` with every `{field}` replaced by `values[field]` (missing value: empty text).
    Unknown fields raise a DomainError on `field_name` listing them and the known ones."""
    bad = unknown_fields(template)
    if bad:
        names = ", ".join("{" + b + "}" for b in bad)
        raise DomainError(
            f"Unknown merge field{'s' if len(bad) > 1 else ''} {names}: use one of "
            + ", ".join("{" + f + "}" for f in FIELDS)
            + " (write {{ or }} for a brace).",
            field_name,
            code="merge_field.unknown",
        )

    def sub(m: re.Match) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return str(values.get(m.group(1), "") or "")

    return _TOKEN.sub(sub, template or "")


def parse_addresses(text: str, field_name: str = "cc") -> list[str]:
    """Comma, semicolon or space separated e-mail addresses, checked and deduplicated."""
    out: list[str] = []
    for part in re.split(r"[,;\s]+", text or ""):
        part = part.strip()
        if not part:
            continue
        if not _EMAIL.match(part) or len(part) > 320:
            raise DomainError(f"“{part}” is not an e-mail address.", field_name, code=f"{field_name}.invalid")
        if part.lower() not in (a.lower() for a in out):
            out.append(part)
    if len(out) > MAX_CC:
        raise DomainError(f"At most {MAX_CC} addresses.", field_name, code=f"{field_name}.too_many")
    if len(", ".join(out)) > MAX_CC_CHARS:
        raise DomainError(
            f"The addresses are longer than {MAX_CC_CHARS} characters together.",
            field_name,
            code=f"{field_name}.too_long",
        )
    return out


def parse_recipient(text: str) -> str:
    """The one `to` address of a message."""
    found = parse_addresses(text, "to")
    if len(found) != 1:
        raise DomainError("Give one e-mail address to send to (others go in Cc).", "to", code="to.invalid")
    return found[0]


@dataclass
class Message:
    """What the composer sends: recipient, copies, and the subject and body templates (merge
    fields filled by the send service when it sends, from the document's values then)."""

    to: str = ""
    cc: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class Draft:
    """What the composer opens with: today's message as templates, and the values to fill in."""

    to: str
    subject: str
    body: str
    values: dict[str, str] = field(default_factory=dict)
    cc: str = ""
    to_fixed: bool = False  # a contract goes to its signers (each their own link): `to` is shown, not edited
    note: str = ""


def rendered(message: Message, values: Mapping[str, str]) -> tuple[str, str]:
    """(subject, body) of `message` filled with `values`; an empty subject or body is refused."""
    subject = " ".join(render(message.subject, values, field_name="subject").split())
    body = render(message.body, values, field_name="body")
    if not subject:
        raise DomainError("Write a subject.", "subject", code="subject.required")
    if not body.strip():
        raise DomainError("Write the message.", "body", code="body.required")
    return subject[:300], body
