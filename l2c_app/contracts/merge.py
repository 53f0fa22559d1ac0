"""Contract templates: merge fields filled from the records, unknown fields found while editing.

A template body is plain text with a small Markdown subset (what the contract PDF and the
signing page both render): `# ` / `## ` headings, paragraphs, `- ` bullets, `| pipe | tables |`
and `{{merge.fields}}`. `{{quote.lines}}` becomes the scope table (a pipe table) built from
the accepted quote's lines. No Reflex imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from l2c_app.contracts.models import ContractTemplate
from l2c_app.core import formats
from l2c_app.core.audit import SYSTEM, Actor, record_create
from l2c_app.core.auth import get_organisation
from l2c_app.core.errors import DomainError
from l2c_app.core.models import User
from l2c_app.core.money import format_money
from l2c_app.core.timeutil import format_local, to_local, utcnow
from l2c_app.pipeline.models import Account, Contact, Deal
from l2c_app.quotes.models import Quote, QuoteLine

FIELD_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

# name -> what it prints (shown as help next to the template editor).
FIELDS: dict[str, str] = {
    "org.name": "Your organisation's name",
    "client.name": "The client company (deal account)",
    "client.address": "The client's address",
    "client.phone": "The client's phone",
    "contact.name": "The client contact (quote or deal contact)",
    "contact.email": "The client contact's e-mail",
    "contact.title": "The client contact's job title",
    "deal.title": "The deal's title",
    "deal.owner": "The deal owner's name",
    "deal.owner_email": "The deal owner's e-mail",
    "quote.title": "The accepted quote's title",
    "quote.number": "Quote number and version, e.g. Q12-3 v2",
    "quote.total": "Quote total with currency",
    "quote.currency": "Quote currency code",
    "quote.lines": "The scope: a table of the quote's lines",
    "quote.accepted_date": "Day the client accepted the quote",
    "quote.expires_on": "Quote expiry day",
    "quote.notes": "Notes of the quote",
    "payment.terms": "Payment terms (from the quote, else the default)",
    "contract.title": "The contract's title",
    "date.today": "Today's date (YYYY-MM-DD)",
    "date.today_long": "Today's date written out in the organisation's locale, e.g. November 28, 2026",
}

DEFAULT_PAYMENT_TERMS = "Invoices are payable within 30 days of the invoice date."

DEFAULT_TEMPLATE_NAME = "Services agreement"
DEFAULT_TEMPLATE = """# Services agreement

This agreement is made on {{date.today_long}} between **{{org.name}}** (the Provider) and \
**{{client.name}}** (the Client), represented by {{contact.name}}.

## 1. Scope

The Provider delivers the services below, as accepted by the Client in quote {{quote.number}} \
("{{quote.title}}") on {{quote.accepted_date}}.

{{quote.lines}}

## 2. Price

The total price is **{{quote.total}}**. Hourly lines are estimates and are invoiced on the time \
actually spent at the rates above.

## 3. Payment terms

{{payment.terms}}

## 4. Changes

Work outside the scope above is agreed in writing as a change order before it starts.

## 5. Contacts

For the Provider: {{deal.owner}} ({{deal.owner_email}}). For the Client: {{contact.name}} \
({{contact.email}}).
"""


class TemplateError(DomainError):
    """A user-facing message about a template."""


def field_names(body: str) -> list[str]:
    """Every merge field used in `body`, in order of first use."""
    seen: list[str] = []
    for match in FIELD_RE.finditer(body or ""):
        name = match.group(1)
        if name not in seen:
            seen.append(name)
    return seen


def unknown_fields(body: str) -> list[str]:
    """Merge fields that the app cannot fill (typos like `{{client.nmae}}`), plus unclosed `{{`.

    Called on every keystroke of the template editor, so it must stay cheap (one regex pass).
    """
    unknown = [name for name in field_names(body) if name not in FIELDS]
    # An opening brace pair without its closing pair would print as-is: flag it too.
    stripped = FIELD_RE.sub("", body or "")
    if "{{" in stripped or "}}" in stripped:
        unknown.append("unclosed {{ … }}")
    return unknown


# Every ASCII punctuation character CommonMark lets a backslash escape.
MD_PUNCTUATION = frozenset(r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~""")

# Fields whose value is structure we build ourselves (the scope table); every other value is data.
STRUCTURAL_FIELDS = frozenset({"quote.lines"})


def escape_md(value: object) -> str:
    """A merged value as literal text in the Markdown subset (signing page and PDF alike).

    Threat model: values come from records an outsider can write (the public lead form sets
    the company, the contact's name and e-mail). Pasted raw, `![c](http://tracker/x.png)` made
    the signer's browser fetch an outside image, `[Pay here](http://...)` became a link and
    "\\n\\n## 9. Extra clause" added a clause to the document that is signed and hashed. So
    whitespace runs (newlines included) become one space, and every punctuation character is
    backslash-escaped: a value can never open a block, a link, an image, emphasis, an entity or a
    table cell. `contracts/pdf.py` reads the same escapes."""
    text = " ".join(str(value or "").split())
    return "".join("\\" + ch if ch in MD_PUNCTUATION else ch for ch in text)


_ESCAPED = re.compile(r"\\([" + re.escape("".join(sorted(MD_PUNCTUATION))) + r"])")


def unescape_md(text: str) -> str:
    """The literal text of escaped Markdown (what a reader sees; for tests and plain-text views)."""
    return _ESCAPED.sub(r"\1", text)


def escape_cell(text: str) -> str:
    """A value inside a scope-table cell: escaped like any merged value (a `\\|` stays in its cell)."""
    return escape_md(text)


# --- quote figures ------------------------------------------------------------------------


def quote_lines(session: Session, quote: Quote) -> list[QuoteLine]:
    """Lines in scope: optional lines only when the client ticked them."""
    lines = session.exec(
        select(QuoteLine).where(QuoteLine.quote_id == quote.id).order_by(QuoteLine.position, QuoteLine.id)
    ).all()
    return [ln for ln in lines if not ln.optional or ln.selected]


def quote_figures(session: Session, quote: Quote):
    """The quote's figures from `quotes.totals` (the one quote arithmetic): the contract
    shows exactly the cents the client accepted."""
    from l2c_app.quotes.service import quote_totals

    return quote_totals(session, quote)


def _quote_label(quote: Quote) -> str:
    from l2c_app.quotes.service import quote_label

    return quote_label(quote)


def quote_total_minor(session: Session, quote: Quote) -> int:
    """What the client accepted to pay: subtotal - quote discount + exclusive taxes."""
    return quote_figures(session, quote).total_minor


def _qty(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scope_table(session: Session, quote: Quote) -> str:
    cur = quote.currency
    totals = quote_figures(session, quote)
    rows = ["| Description | Qty | Unit price | Amount |", "| --- | ---: | ---: | ---: |"]
    for ln in quote_lines(session, quote):
        desc = escape_cell(ln.description) + (f" ({escape_cell(ln.section)})" if ln.section else "")
        amount = format_money(totals.line(ln.id).amount_minor, cur)
        rows.append(
            f"| {desc} | {_qty(ln.quantity)} {escape_cell(ln.unit)} | "
            f"{format_money(ln.unit_price_minor, cur)} | {amount} |"
        )
    if totals.discount_minor or totals.tax_minor:
        rows.append(f"| Subtotal | | | {format_money(totals.subtotal_minor, cur)} |")
    if totals.discount_minor:
        rows.append(f"| Discount | | | -{format_money(totals.discount_minor, cur)} |")
    for tax in totals.taxes:
        label = f"{escape_cell(tax.name)} {tax.percent.normalize():f}%" + (" (included)" if tax.inclusive else "")
        rows.append(f"| {label} | | | {format_money(tax.tax_minor, cur)} |")
    rows.append(f"| **Total** | | | **{format_money(totals.total_minor, cur)}** |")
    return "\n".join(rows)


# --- filling -----------------------------------------------------------------------------


@dataclass
class MergeContext:
    deal: Deal
    quote: Quote | None = None
    title: str = ""


def _values(session: Session, ctx: MergeContext) -> dict[str, Callable[[], str]]:
    org = get_organisation(session)
    tz = org.timezone if org else "UTC"
    deal, quote = ctx.deal, ctx.quote
    account = session.get(Account, deal.account_id) if deal.account_id else None
    contact_id = (quote.contact_id if quote and quote.contact_id else None) or deal.contact_id
    contact = session.get(Contact, contact_id) if contact_id else None
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    now = utcnow()

    def q(fn: Callable[[Quote], str]) -> Callable[[], str]:
        return lambda: fn(quote) if quote else ""

    return {
        "org.name": lambda: org.name if org else "",
        "client.name": lambda: account.name if account else (contact.name if contact else ""),
        "client.address": lambda: (account.address or "") if account else "",
        "client.phone": lambda: (account.phone or "") if account else "",
        "contact.name": lambda: contact.name if contact else "",
        "contact.email": lambda: (contact.email or "") if contact else "",
        "contact.title": lambda: (contact.title or "") if contact else "",
        "deal.title": lambda: deal.title,
        "deal.owner": lambda: owner.name if owner else "",
        "deal.owner_email": lambda: owner.email if owner else "",
        "quote.title": q(lambda x: x.title),
        "quote.number": q(_quote_label),  # the quote's own number and version, as the quote shows it
        "quote.total": q(lambda x: format_money(quote_total_minor(session, x), x.currency)),
        "quote.currency": q(lambda x: x.currency),
        "quote.lines": q(lambda x: scope_table(session, x)),
        "quote.accepted_date": q(lambda x: formats.day(to_local(x.accepted_at, tz)) if x.accepted_at else ""),
        "quote.expires_on": q(lambda x: formats.day(x.expires_on) if x.expires_on else ""),
        "quote.notes": q(lambda x: x.notes or ""),
        "payment.terms": lambda: (quote.terms if quote and quote.terms else None)
        or ((org.settings or {}).get("payment_terms") if org else None)
        or DEFAULT_PAYMENT_TERMS,
        "contract.title": lambda: ctx.title,
        "date.today": lambda: format_local(now, tz, "%Y-%m-%d"),
        "date.today_long": lambda: formats.day(to_local(now, tz), style="long"),
    }


def fill(session: Session, body: str, ctx: MergeContext) -> str:
    """The template with every known field filled from the records; unknown ones stay visible.

    Only the template's own text carries structure: each value is escaped (`escape_md`)."""
    values = _values(session, ctx)
    cache: dict[str, str] = {}

    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        if name not in cache:
            value = values[name]()
            cache[name] = value if name in STRUCTURAL_FIELDS else escape_md(value)
        return cache[name]

    return FIELD_RE.sub(sub, body)


# --- templates ----------------------------------------------------------------------------


def default_template(session: Session) -> ContractTemplate:
    """The default template; the shipped one is created the first time it is needed."""
    row = session.exec(
        select(ContractTemplate).where(ContractTemplate.is_default, ContractTemplate.archived_at.is_(None))
    ).first()
    if row is None:
        row = session.exec(
            select(ContractTemplate).where(ContractTemplate.archived_at.is_(None)).order_by(ContractTemplate.id)
        ).first()
    if row is None:
        row = ContractTemplate(name=DEFAULT_TEMPLATE_NAME, body=DEFAULT_TEMPLATE, is_default=True)
        session.add(row)
        record_create(session, SYSTEM, row)
    return row


def list_templates(session: Session) -> list[ContractTemplate]:
    default_template(session)
    return list(
        session.exec(
            select(ContractTemplate).where(ContractTemplate.archived_at.is_(None)).order_by(ContractTemplate.name)
        )
    )


def save_template(
    session: Session, actor: Actor, template_id: int | None, name: str, body: str, make_default: bool = False
) -> ContractTemplate:
    """Create or update a template. Unknown fields are refused here too (the editor shows them live)."""
    from l2c_app.core.audit import record_update, snapshot

    name = (name or "").strip()
    if not name:
        raise TemplateError("name: give the template a name.", "name")
    if not (body or "").strip():
        raise TemplateError("body: the template is empty.", "body")
    bad = unknown_fields(body)
    if bad:
        raise TemplateError(f"body: unknown merge fields: {', '.join(bad)}", "body")
    if template_id:
        row = session.get(ContractTemplate, template_id)
        if row is None or row.archived_at is not None:
            raise TemplateError("No such template.", kind="not_found")
        before = snapshot(row)
        row.name, row.body, row.updated_at = name[:200], body, utcnow()
    else:
        row = ContractTemplate(name=name[:200], body=body)
        session.add(row)
        before = None
    if make_default:
        for other in session.exec(select(ContractTemplate).where(ContractTemplate.is_default)):
            other.is_default = False
        row.is_default = True
    if before is None:
        record_create(session, actor, row)
    else:
        record_update(session, actor, row, before)
    return row


def archive_template(session: Session, actor: Actor, template_id: int) -> None:
    from l2c_app.core.audit import record_update, snapshot

    row = session.get(ContractTemplate, template_id)
    if row is None:
        raise TemplateError("No such template.", kind="not_found")
    before = snapshot(row)
    row.archived_at, row.is_default = utcnow(), False
    record_update(session, actor, row, before, action="archive")
