"""The journal: balanced double entries built from the ledger's own records.

How it is built (`post_pending`): for every source record (an issued invoice, a credit
note, a payment, a Stripe fee, a refund, a dispute's withdrawn money, a write-off, the client
credit an invoice holds, a paid payout) the postings it SHOULD have by now are computed from
its current state, per role (receivable, income:time, tax:3:20, ...); what the journal
already holds for that source is summed per role; when the two differ, ONE new entry posts
the difference. So building twice adds nothing, an entry is never edited (a reversed payment,
a failed refund, a won dispute or a failed payout gets a correcting entry), and a source
that disappeared (a cumulative refund row replaced by its refunds) is reversed. Each entry
is keyed (source_type, source_id, seq): unique in the database.

What is posted where (amounts in the source's currency, minor units):

  invoice issued       Dr receivable (total)          Cr income per line kind (net), tax per rate
  credit note          the same with negative lines:  Dr income, Dr tax, Cr receivable
  void (unpaid)        the invoice's entry reversed
  payment (manual)     Dr bank                        Cr receivable (unallocated if unmatched)
  payment (Stripe)     Dr Stripe clearing             Cr receivable (unallocated if unmatched)
  client credit used   Dr client credit               Cr receivable
  Stripe fee           Dr payment fees                Cr Stripe clearing (in the fee's currency)
  refund               Dr receivable                  Cr Stripe clearing (bank for a manual payment)
  dispute (withdrawn)  Dr receivable                  Cr Stripe clearing (reversed when reinstated)
  write-off            Dr write-offs                  Cr receivable (less what is paid later: recovered)
  credit held          Dr receivable                  Cr client credit (the overpayment of an invoice)
  payout paid          Dr bank                        Cr Stripe clearing (reversed if it fails later)

The receivable of a client then equals the open amounts of its invoices (billing.service.
open_amount), and Stripe clearing equals the Stripe money not yet paid out.

When it runs: in the hourly job ("accounting journal"), before every export (API and page)
and when Settings > Accounting > Export opens. Not inside each money write: the webhook path
is tuned to ~10 statements per event, and the journal of a change is the same whether it is
posted a second or an hour later (entries carry the source's own date).

Immutability: the mapper events below refuse any UPDATE of a journal line, any DELETE, and any
UPDATE of an entry other than stamping its export batch once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import event, func, inspect, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from l2c_app.accounting import settings as acct
from l2c_app.accounting.models import JournalEntry, JournalLine
from l2c_app.billing.models import Invoice, InvoiceLine
from l2c_app.billing.service import amount_due, net_paid
from l2c_app.core.errors import Conflict
from l2c_app.core.timeutil import org_today
from l2c_app.payments.models import REFUND_LIVE, ClientCredit, Dispute, Payment, Payout, Refund

Key = tuple[str, int]  # (source_type, source_id)


@dataclass
class Want:
    """The postings a source should have: role -> signed amount (+ debit, - credit) and its account."""

    currency: str
    entry_date: date
    kind: str
    account_id: int | None = None
    reference: str | None = None
    memo: str | None = None
    amounts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accounts: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # role -> (code, name, tax code)

    def add(self, role: str, amount: int, account: tuple[str, str], tax_code: str | None = None) -> None:
        if amount:
            self.amounts[role] += amount
            self.accounts.setdefault(role, (account[0], account[1], tax_code))


# --- immutability ------------------------------------------------------------------------------


class JournalImmutable(Conflict):
    """A posted journal entry cannot change: post a correcting entry instead."""


@event.listens_for(JournalLine, "before_update")
def _no_line_update(mapper, connection, target):  # noqa: ARG001
    raise JournalImmutable("A journal line never changes: post a correcting entry")


@event.listens_for(JournalLine, "before_delete")
@event.listens_for(JournalEntry, "before_delete")
def _no_delete(mapper, connection, target):  # noqa: ARG001
    raise JournalImmutable("A journal entry is never deleted: post a correcting entry")


@event.listens_for(JournalEntry, "before_update")
def _only_batch_once(mapper, connection, target):  # noqa: ARG001
    state = inspect(target)
    for attr in state.attrs:
        hist = attr.history
        if not hist.has_changes():
            continue
        if attr.key != "batch_id" or (hist.deleted and hist.deleted[0] is not None):
            raise JournalImmutable("A journal entry never changes once posted (only its export batch is set, once)")


# --- what each source should have posted ----------------------------------------------------------


def _line_kind(source_type: str | None) -> str:
    return source_type if source_type in acct.LINE_KINDS else "manual"


def _pct(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _invoice_want(inv: Invoice, lines: list[InvoiceLine], cfg: dict) -> Want:
    """Receivable = total; income per line kind = the lines' net; tax per rate (inclusive taxes
    come out of their line's amount, exclusive ones are on top, as billing's total adds them)."""
    acc = cfg["accounts"]
    credit = inv.kind == "credit_note"
    want = Want(
        inv.currency,
        inv.issue_date or inv.created_at.date(),
        "credit_note" if credit else "invoice_issued",
        inv.account_id,
        inv.number,
        ("Credit note" if credit else ("Deposit invoice" if inv.kind == "deposit" else "Invoice")) + f" {inv.number}",
    )
    want.add("receivable", inv.total_minor, (acc["receivable"]["code"], acc["receivable"]["name"]))
    for ln in lines:
        net = ln.amount_minor - (ln.tax_minor if ln.tax_inclusive else 0)
        kind = _line_kind(ln.source_type)
        want.add(f"income:{kind}", -net, acct.income_account(cfg, ln.source_type))
        if ln.tax_minor:
            pct = _pct(ln.tax_percent)
            code, name, tax_code = acct.tax_account(cfg, ln.tax_rate_id, pct)
            want.add(f"tax:{ln.tax_rate_id or 0}:{pct}", -ln.tax_minor, (code, name), tax_code)
    return want


def _acc(cfg: dict, role: str) -> tuple[str, str]:
    row = cfg["accounts"][role]
    return row["code"], row["name"]


def _cash_role(method: str) -> str:
    return {"stripe": "stripe_clearing", "credit": "client_credit"}.get(method, "bank")


def _payment_want(pay: Payment, numbers: dict[int, str], cfg: dict) -> Want:
    ref = numbers.get(pay.invoice_id) if pay.invoice_id else None
    kind = {"stripe": "stripe_payment", "credit": "credit_applied"}.get(pay.method, "payment")
    want = Want(
        pay.currency,
        pay.received_on or pay.created_at.date(),
        kind,
        pay.account_id,
        ref or pay.reference,
        f"Payment ({pay.method})" + (f" on {ref}" if ref else ", not matched"),
    )
    amount = pay.amount_minor if pay.status == "succeeded" else 0
    cash = _cash_role(pay.method)
    other = "receivable" if pay.invoice_id else "unallocated"
    want.add(cash, amount, _acc(cfg, cash))
    want.add(other, -amount, _acc(cfg, other))
    return want


def _fee_want(pay: Payment, numbers: dict[int, str], cfg: dict) -> Want:
    ref = numbers.get(pay.invoice_id) if pay.invoice_id else None
    want = Want(
        pay.fee_currency or pay.currency,
        pay.received_on or pay.created_at.date(),
        "stripe_fee",
        pay.account_id,
        ref or pay.reference,
        f"Stripe fee of {pay.stripe_payment_intent_id or pay.id}",
    )
    fee = int(pay.fee_minor or 0) if pay.status == "succeeded" else 0
    want.add("fees", fee, _acc(cfg, "fees"))
    want.add("stripe_clearing", -fee, _acc(cfg, "stripe_clearing"))
    return want


def _giveback_want(
    kind: str, pay: Payment, amount: int, day: date, memo: str, numbers: dict[int, str], cfg: dict
) -> Want:
    """A refund or a dispute's withdrawn money: the client owes it again; it left the balance."""
    ref = numbers.get(pay.invoice_id) if pay.invoice_id else None
    want = Want(pay.currency, day, kind, pay.account_id, ref or pay.reference, memo)
    other = "receivable" if pay.invoice_id else "unallocated"
    cash = _cash_role(pay.method) if pay.method != "credit" else "client_credit"
    want.add(other, amount, _acc(cfg, other))
    want.add(cash, -amount, _acc(cfg, cash))
    return want


def desired(session: Session, posted_keys: set[Key]) -> dict[Key, Want]:
    """Every source's postings as of now. An issued document never changes, so the lines of
    one already posted are not read again (only whether it was voided since)."""
    cfg = acct.accounting_settings(session)
    out: dict[Key, Want] = {}
    fresh = {"populate_existing": True}  # the webhook path writes with Core: never trust loaded objects
    invoices = list(
        session.exec(
            select(Invoice)
            .where(Invoice.number.is_not(None))  # type: ignore[union-attr]
            .execution_options(**fresh)
        )
    )
    numbers = {inv.id: inv.number for inv in invoices}
    credited = {inv.credit_for_invoice_id for inv in invoices if inv.kind == "credit_note"}
    todo = [inv.id for inv in invoices if (_doc_type(inv), inv.id) not in posted_keys]
    lines: dict[int, list[InvoiceLine]] = defaultdict(list)
    for i in range(0, len(todo), 500):
        for ln in session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(todo[i : i + 500]))  # type: ignore[attr-defined]
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position, InvoiceLine.id)
        ):
            lines[ln.invoice_id].append(ln)
    today = org_today(session)
    for inv in invoices:
        key = (_doc_type(inv), inv.id)
        voided = inv.status == "void" and inv.kind != "credit_note" and inv.id not in credited
        if voided:
            out[key] = Want(
                inv.currency, today, "invoice_voided", inv.account_id, inv.number, f"Invoice {inv.number} void"
            )
        elif key not in posted_keys:  # a posted one is unchanged: it stands (see `post_pending`)
            out[key] = _invoice_want(inv, lines[inv.id], cfg)
        if inv.written_off_minor:
            # What stays written off: money received later (or a credit note) recovers it first,
            # as the ledger's open amount does (due - paid - written off, never below 0).
            due = amount_due(inv.status, inv.kind, inv.total_minor, inv.credited_minor)
            lost = max(0, min(inv.written_off_minor, due - net_paid(session, inv.id)))
            w = Want(
                inv.currency,
                inv.written_off_at.date() if inv.written_off_at else today,
                "write_off",
                inv.account_id,
                inv.number,
                f"Written off: {(inv.write_off_reason or '')[:200]}",
            )
            w.add("write_off", lost, _acc(cfg, "write_off"))
            w.add("receivable", -lost, _acc(cfg, "receivable"))
            out[("write_off", inv.id)] = w
    payments = {
        p.id: p
        for p in session.exec(
            select(Payment)
            .where(Payment.stripe_foreign.is_(False))  # type: ignore[attr-defined]
            .execution_options(**fresh)
        )
    }
    for pay in payments.values():
        out[("payment", pay.id)] = _payment_want(pay, numbers, cfg)
        if pay.method == "stripe" and pay.fee_minor:
            out[("stripe_fee", pay.id)] = _fee_want(pay, numbers, cfg)
    for ref in session.exec(select(Refund).execution_options(**fresh)):
        pay = payments.get(ref.payment_id)
        if pay is not None:
            amount = ref.amount_minor if ref.status in REFUND_LIVE else 0
            out[("refund", ref.id)] = _giveback_want(
                "refund", pay, amount, ref.created_at.date(), f"Refund {ref.stripe_refund_id or ref.id}", numbers, cfg
            )
    for dis in session.exec(
        select(Dispute)
        .where(Dispute.payment_id.is_not(None))  # type: ignore[union-attr]
        .execution_options(**fresh)
    ):
        pay = payments.get(dis.payment_id)
        if pay is not None:
            out[("dispute", dis.id)] = _giveback_want(
                "dispute",
                pay,
                dis.withdrawn_minor,
                dis.created_at.date(),
                f"Dispute {dis.stripe_dispute_id} ({dis.status})",
                numbers,
                cfg,
            )
    held: dict[int, int] = defaultdict(int)
    for credit in session.exec(select(ClientCredit).execution_options(**fresh)):
        pay = payments.get(credit.payment_id) if credit.payment_id else None
        if pay is not None and pay.invoice_id is not None:
            held[pay.invoice_id] += credit.amount_minor
    by_id = {inv.id: inv for inv in invoices}
    for invoice_id, amount in held.items():
        inv = by_id[invoice_id]
        w = Want(inv.currency, today, "client_credit", inv.account_id, inv.number, f"Overpayment of {inv.number}")
        w.add("receivable", amount, _acc(cfg, "receivable"))
        w.add("client_credit", -amount, _acc(cfg, "client_credit"))
        out[("client_credit", invoice_id)] = w
    for po in session.exec(select(Payout).execution_options(**fresh)):
        amount = po.amount_minor if po.status == "paid" else 0
        w = Want(
            po.currency,
            po.arrival_date or po.created_at.date(),
            "payout",
            None,
            po.stripe_payout_id,
            f"Stripe payout {po.stripe_payout_id} ({po.status})",
        )
        w.add("bank", amount, _acc(cfg, "bank"))
        w.add("stripe_clearing", -amount, _acc(cfg, "stripe_clearing"))
        out[("payout", po.id)] = w
    return out


def _doc_type(inv: Invoice) -> str:
    return "credit_note" if inv.kind == "credit_note" else "invoice"


# --- posting -------------------------------------------------------------------------------------


@dataclass
class Posted:
    seq: int = 0
    amounts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accounts: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)


def posted(session: Session) -> dict[Key, Posted]:
    """What the journal holds per source and role (one grouped query)."""
    out: dict[Key, Posted] = defaultdict(Posted)
    rows = session.execute(
        sa_select(
            JournalEntry.source_type,
            JournalEntry.source_id,
            JournalLine.role,
            JournalLine.account,
            JournalLine.account_name,
            JournalLine.tax_code,
            func.sum(JournalLine.debit_minor - JournalLine.credit_minor),
            func.max(JournalEntry.seq),
        )
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .group_by(
            JournalEntry.source_type,
            JournalEntry.source_id,
            JournalLine.role,
            JournalLine.account,
            JournalLine.account_name,
            JournalLine.tax_code,
        )
    ).all()
    for st, sid, role, account, name, tax_code, amount, seq in rows:
        p = out[(st, int(sid))]
        p.seq = max(p.seq, int(seq))
        p.amounts[role] += int(amount)
        p.accounts.setdefault(role, (account, name, tax_code))
    return out


def _lock(session: Session) -> None:
    """One builder at a time (two would race for the same seq: the unique key refuses the second)."""
    from l2c_app.billing.service import begin_write

    begin_write(session)
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(1162)"))  # 1162: the journal's lock number


def post_pending(session: Session) -> int:
    """Post what the sources need and the journal does not hold yet; returns the entries added.

    Idempotent: a second run finds nothing to post. The caller commits.
    """
    _lock(session)
    have = posted(session)
    want = desired(session, {k for k, p in have.items() if p.seq})
    today = org_today(session)
    new: list[tuple[JournalEntry, list[JournalLine]]] = []
    for key in sorted(set(want) | {k for k, p in have.items() if any(p.amounts.values())}):
        p = have.get(key) or Posted()
        w = want.get(key)
        if w is None:
            if key[0] in ("invoice", "credit_note"):
                continue  # an issued document that is not void stands as posted
            first = _first_entry(session, key)  # reversed for the same client, currency and reference
            w = Want(
                first.currency,
                today,
                f"{key[0]}_removed",
                first.account_id,
                first.reference,
                f"{key[0]} {key[1]} no longer exists",
            )
        delta = {role: w.amounts.get(role, 0) - p.amounts.get(role, 0) for role in set(w.amounts) | set(p.amounts)}
        delta = {r: a for r, a in delta.items() if a}
        if not delta:
            continue
        assert sum(delta.values()) == 0, f"unbalanced postings for {key}: {delta}"
        correction = p.seq > 0
        entry = JournalEntry(
            source_type=key[0],
            source_id=key[1],
            seq=p.seq + 1,
            kind=(f"{w.kind}_correction" if correction and not w.kind.endswith(("_voided", "_removed")) else w.kind)[
                :30
            ],
            entry_date=today if correction else w.entry_date,
            currency=w.currency,
            account_id=w.account_id,
            reference=(w.reference or "")[:200] or None,
            memo=(w.memo or "")[:300] or None,
        )
        lines = []
        for role in sorted(delta, key=lambda r: (delta[r] < 0, r)):
            code, name, tax_code = p.accounts.get(role) or w.accounts[role]
            amount = delta[role]
            lines.append(
                JournalLine(
                    entry_id=0,
                    role=role,
                    account=code,
                    account_name=name[:120],
                    debit_minor=max(amount, 0),
                    credit_minor=max(-amount, 0),
                    tax_code=tax_code,
                )
            )
        new.append((entry, lines))
    # Two flushes in all (the entries, then their lines), not one per entry: a first build of
    # thousands of records is bound by round trips.
    session.add_all([e for e, _ in new])
    session.flush()
    for entry, lines in new:
        for ln in lines:
            ln.entry_id = entry.id
        session.add_all(lines)
    session.flush()
    return len(new)


def _first_entry(session: Session, key: Key) -> JournalEntry:
    return session.exec(
        select(JournalEntry)
        .where(JournalEntry.source_type == key[0], JournalEntry.source_id == key[1])
        .order_by(JournalEntry.seq)
    ).first()


# --- balances (for the proof and the page) ---------------------------------------------------------


def account_balance(
    session: Session, role: str, currency: str, client_id: int | None = None, any_client: bool = True
) -> int:
    """Debits - credits of a role (all accounts it was posted to) in one currency."""
    q = (
        sa_select(func.coalesce(func.sum(JournalLine.debit_minor - JournalLine.credit_minor), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.role == role, JournalEntry.currency == currency)
    )
    if not any_client:
        q = q.where(JournalEntry.account_id == client_id)
    return int(session.execute(q).scalar_one())


def unbalanced_entries(session: Session) -> list[int]:
    """Entries whose debits and credits differ (none, by construction; the proof checks it)."""
    rows = session.execute(
        sa_select(JournalLine.entry_id)
        .group_by(JournalLine.entry_id)
        .having(func.sum(JournalLine.debit_minor) != func.sum(JournalLine.credit_minor))
    ).scalars()
    return [int(r) for r in rows]
