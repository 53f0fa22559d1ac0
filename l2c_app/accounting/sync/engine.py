"""The sync: what of l2c's ledger is not yet in the accounting system, pushed in dependency order.

`sync_pending(now=None) -> int` is the pump (registered with the after-commit outbox, and run by
the hourly job). It opens its own short sessions and holds no transaction during HTTP:
  1. read the connection and build every record's payload (one read, then closed),
  2. push each record whose payload's fingerprint differs from the mapping's (new or edited),
  3. after each push, one short write: the mapping (remote id, SyncToken, fingerprint) and the
     record's sync-log row (synced, or failed with the remote's error; retried next round).
A second sync with nothing changed pushes nothing. A refused refresh token marks the connection
"reconnect" and stops; throttling stops the round (the rest waits for the next).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from l2c_app.accounting.sync import qbo, xero
from l2c_app.accounting.sync.models import AccountingConnection, AccountingMapping, AccountingSyncLog
from l2c_app.accounting.sync.port import (
    AccountingSystem,
    MissingReference,
    ReconnectNeeded,
    Remote,
    RemoteError,
    Throttled,
)
from l2c_app.core.auth import AuthError
from l2c_app.core.db import with_session
from l2c_app.core.timeutil import utcnow
from l2c_app.core.twofactor import decrypt_secret, encrypt_secret

ITEM_NAMES = {
    "time": "Time",
    "milestone": "Milestones",
    "change_order": "Change orders",
    "retainer_period": "Retainers",
    "expense": "Expenses",
    "deposit": "Deposits",
    "manual": "Other",
    "refund": "Refunds",
}
_PUSH = {
    "customer": "push_customer",
    "item": "push_item",
    "invoice": "push_invoice",
    "credit_memo": "push_credit_memo",
    "payment": "push_payment",
    "fee": "push_fee",
    "refund": "push_refund",
}

# a test (or the outbox) may hand its own system; None: the configured one of the connection's provider
SystemFactory = Callable[[AccountingConnection], AccountingSystem]
# provider -> (module with config()/Tokens/LABEL, its AccountingSystem class)
SYSTEMS = {qbo.PROVIDER: (qbo, qbo.QuickBooks), xero.PROVIDER: (xero, xero.Xero)}
LABELS = {name: mod.LABEL for name, (mod, _) in SYSTEMS.items()}
LIVE = ("connected", "reconnect", "pending")


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def active_provider(session: Session) -> str:
    """The provider this organisation is connected to (one at a time); QuickBooks when none is."""
    rows = list(
        session.exec(
            select(AccountingConnection)
            .where(AccountingConnection.status.in_(LIVE))
            .order_by(AccountingConnection.updated_at.desc())
        )
    )
    live = next((r for r in rows if r.status != "pending"), rows[0] if rows else None)
    return live.provider if live is not None else qbo.PROVIDER


def connection(session: Session, provider: str | None = None) -> AccountingConnection:
    """The provider's connection row (a new one if none); None: the active provider's."""
    provider = provider or active_provider(session)
    row = session.exec(select(AccountingConnection).where(AccountingConnection.provider == provider)).first()
    return row or AccountingConnection(provider=provider)


# --- payloads built from l2c's records -----------------------------------------------------


def build_work(session: Session) -> list[tuple[str, str, str, dict]]:
    """(entity, l2c id, label, payload) of everything l2c would push, in push order."""
    from l2c_app.billing.models import Invoice, InvoiceLine
    from l2c_app.payments.models import REFUND_LIVE, Payment, Refund
    from l2c_app.pipeline.models import Account, Contact

    invoices = list(session.exec(select(Invoice).where(Invoice.number.is_not(None)).order_by(Invoice.id)))
    by_id = {i.id: i for i in invoices}
    account_ids = sorted({i.account_id for i in invoices if i.account_id})
    work: list[tuple[str, str, str, dict]] = []
    for acc in session.exec(select(Account).where(Account.id.in_(account_ids)).order_by(Account.id)):
        contact = session.exec(select(Contact).where(Contact.account_id == acc.id).order_by(Contact.id)).first()
        currency = next(i.currency for i in invoices if i.account_id == acc.id)
        work.append(
            (
                "customer",
                str(acc.id),
                f"Customer {acc.name}",
                {
                    "name": acc.name,
                    "email": contact.email if contact else None,
                    "tax_id": acc.tax_id,
                    "currency": currency,
                },
            )
        )
    lines: dict[int, list[InvoiceLine]] = {}
    if by_id:
        for ln in session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(list(by_id)))
            .order_by(InvoiceLine.position, InvoiceLine.id)
        ):
            lines.setdefault(ln.invoice_id, []).append(ln)
    kinds = {ln.source_type or "manual" for ls in lines.values() for ln in ls} | {"refund"}
    for kind in sorted(kinds):
        work.append(("item", kind, f"Item {ITEM_NAMES.get(kind, kind)}", {"name": ITEM_NAMES.get(kind, kind)}))
    for inv in invoices:
        entity = "credit_memo" if inv.kind == "credit_note" else "invoice"
        payload = {
            "customer": str(inv.account_id),
            "number": inv.number,
            "currency": inv.currency,
            "date": str(inv.issue_date),
            "due": str(inv.due_date or inv.issue_date),
            "tax_minor": inv.tax_minor,
            "total_minor": inv.total_minor,
            "memo": f"l2c {inv.number}" + (f" ({inv.notes})" if inv.notes else ""),
            "lines": [
                {
                    "item": ln.source_type or "manual",
                    "description": ln.description,
                    "quantity": str(ln.quantity),
                    "unit_price_minor": ln.unit_price_minor,
                    # what the line adds before tax: an inclusive rate's tax is inside amount
                    "net_minor": ln.amount_minor - (ln.tax_minor if ln.tax_inclusive else 0),
                    "tax_minor": ln.tax_minor,
                }
                for ln in lines.get(inv.id, [])
            ],
        }
        payload["request_id"] = f"l2c-{entity}-{inv.id}-{_fingerprint(payload)[:16]}"
        work.append(
            (entity, str(inv.id), f"{'Credit note' if entity == 'credit_memo' else 'Invoice'} {inv.number}", payload)
        )
    pays = (
        list(
            session.exec(
                select(Payment)
                .where(
                    Payment.invoice_id.in_(list(by_id)),
                    Payment.method != "credit",
                    Payment.status.in_(("succeeded", "reversed")),
                )
                .order_by(Payment.id)
            )
        )
        if by_id
        else []
    )
    for pay in pays:
        inv = by_id[pay.invoice_id]
        if inv.kind == "credit_note":
            continue
        payload = {
            "customer": str(inv.account_id),
            "invoice": str(inv.id),
            "currency": pay.currency,
            "amount_minor": pay.amount_minor,
            "date": str(pay.received_on or pay.created_at.date()),
            "reference": pay.reference or pay.stripe_payment_intent_id,
            "stripe": pay.method == "stripe",
            "void": pay.status == "reversed",
            "memo": f"l2c payment {pay.id} on {inv.number}",
        }
        payload["request_id"] = f"l2c-payment-{pay.id}-{_fingerprint(payload)[:16]}"
        work.append(("payment", str(pay.id), f"Payment {pay.id} on {inv.number}", payload))
        if pay.fee_minor:
            fee = {
                "currency": pay.fee_currency or pay.currency,
                "fee_minor": pay.fee_minor,
                "date": payload["date"],
                "number": f"FEE-{pay.id}",
                "memo": f"Stripe fee on l2c payment {pay.id} ({inv.number})",
            }
            fee["request_id"] = f"l2c-fee-{pay.id}-{_fingerprint(fee)[:16]}"
            work.append(("fee", str(pay.id), f"Fee of payment {pay.id}", fee))
    pay_by_id = {p.id: p for p in pays}
    if pay_by_id:
        for ref in session.exec(
            select(Refund)
            .where(Refund.payment_id.in_(list(pay_by_id)), Refund.status.in_(REFUND_LIVE))
            .order_by(Refund.id)
        ):
            pay = pay_by_id[ref.payment_id]
            inv = by_id[pay.invoice_id]
            payload = {
                "customer": str(inv.account_id),
                "currency": pay.currency,
                "amount_minor": ref.amount_minor,
                "date": str(ref.created_at.date()),
                "reference": ref.stripe_refund_id,
                "stripe": pay.method == "stripe",
                "memo": f"Refund of l2c payment {pay.id} ({inv.number})",
            }
            payload["request_id"] = f"l2c-refund-{ref.id}-{_fingerprint(payload)[:16]}"
            work.append(("refund", str(ref.id), f"Refund {ref.id} of payment {pay.id}", payload))
    return work


# --- the pump --------------------------------------------------------------------------------


def _configured_system(conn: AccountingConnection) -> AccountingSystem | None:
    mod, cls = SYSTEMS[conn.provider]
    cfg = mod.config()
    if cfg is None or not conn.refresh_token_enc or not conn.realm_id:
        return None
    tokens = mod.Tokens(
        decrypt_secret(conn.access_token_enc) if conn.access_token_enc else None,
        decrypt_secret(conn.refresh_token_enc),
        conn.realm_id,
    )
    provider = conn.provider

    def store(new) -> None:  # the rotated refresh token, kept at once (own transaction)
        def write(s: Session) -> None:
            row = connection(s, provider)
            row.refresh_token_enc, row.access_token_enc = (
                encrypt_secret(new.refresh_token),
                encrypt_secret(new.access_token or ""),
            )
            row.updated_at = utcnow()
            s.add(row)
            s.commit()

        with_session(write)

    return cls(cfg, tokens, store)


def _record(
    provider: str,
    entity: str,
    local_id: str,
    label: str,
    *,
    pushed=None,
    fingerprint: str = "",
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    def write(s: Session) -> None:
        when = now or utcnow()
        if pushed is not None:
            m = s.exec(
                select(AccountingMapping).where(
                    AccountingMapping.provider == provider,
                    AccountingMapping.entity == entity,
                    AccountingMapping.local_id == local_id,
                )
            ).first()
            m = m or AccountingMapping(provider=provider, entity=entity, local_id=local_id, remote_id=pushed.remote_id)
            m.remote_id, m.sync_token, m.remote_number = pushed.remote_id, pushed.sync_token, pushed.number
            m.fingerprint, m.synced_at = fingerprint, when
            s.add(m)
        log = s.exec(
            select(AccountingSyncLog).where(
                AccountingSyncLog.provider == provider,
                AccountingSyncLog.entity == entity,
                AccountingSyncLog.local_id == local_id,
            )
        ).first()
        log = log or AccountingSyncLog(provider=provider, entity=entity, local_id=local_id)
        log.label, log.status, log.error = label[:200], "failed" if error else "synced", error
        log.attempts = (log.attempts or 0) + 1
        log.updated_at = when
        s.add(log)
        s.commit()

    with_session(write)


def _set_connection(provider: str, **values) -> None:
    def write(s: Session) -> None:
        row = connection(s, provider)
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_at = utcnow()
        s.add(row)
        s.commit()

    with_session(write)


LEASE = "accounting-sync"
LEASE_SECONDS = 900  # a round that dies frees it by expiry


def sync_pending(now: datetime | None = None, system_factory: SystemFactory | None = None) -> int:
    """Push what changed since the last sync; the number of records pushed. Never raises for a
    remote's refusal (it is in the sync log). One round at a time across processes and hosts
    (the database lease `accounting-sync`): the outbox pump and the hourly job may both call it;
    the second returns 0 at once. Even without it a doubled create is replayed by QuickBooks
    (`requestid`), not made twice."""
    import os
    import socket

    from l2c_app.core.lease import acquire, release

    holder = f"{socket.gethostname()}:{os.getpid()}:{id(object())}"
    if not with_session(acquire, LEASE, holder, LEASE_SECONDS):
        return 0
    try:
        return _sync_round(now, system_factory)
    finally:
        with_session(release, LEASE, holder)


def _sync_round(now: datetime | None, system_factory: SystemFactory | None) -> int:
    def read(s: Session):
        conn = connection(s)
        if conn.status != "connected":
            return conn, None, None
        maps = {
            (m.entity, m.local_id): m
            for m in s.exec(select(AccountingMapping).where(AccountingMapping.provider == conn.provider))
        }
        s.expunge_all()
        return conn, maps, build_work(s)

    conn, maps, work = with_session(read)
    if work is None:
        return 0
    try:
        system = (system_factory or _configured_system)(conn)
    except AuthError as exc:  # the tokens cannot be decrypted (SECRET_KEY changed): connect again
        _set_connection(conn.provider, status="reconnect", last_error=exc.message[:1000])
        return 0
    except ReconnectNeeded as exc:  # Xero refreshes first: the refresh token was refused
        _set_connection(conn.provider, status="reconnect", last_error=str(exc)[:1000], access_token_enc=None)
        return 0
    except RemoteError as exc:
        _set_connection(conn.provider, last_sync_at=now or utcnow(), last_error=str(exc)[:1000])
        return 0
    if system is None:
        return 0
    provider = conn.provider
    remote = {key: m.remote_id for key, m in maps.items()}

    def refs(entity: str, local_id: str) -> str:
        rid = remote.get((entity, local_id))
        if rid is None:
            raise MissingReference(f"waits for {entity} {local_id} to sync first", "waiting")
        return rid

    pushed_count = 0
    try:
        accounts = json.loads(conn.accounts_json or "{}")
        prepared = system.prepare(accounts)
        if prepared != accounts:
            _set_connection(provider, accounts_json=json.dumps(prepared, sort_keys=True))
        for entity, local_id, label, payload in work:
            fp = _fingerprint(payload)
            m = maps.get((entity, local_id))
            if m is not None and m.fingerprint == fp:
                continue
            existing = Remote(m.remote_id, m.sync_token) if m is not None else None
            try:
                pushed = getattr(system, _PUSH[entity])(payload, existing, refs)
            except Throttled:
                raise
            except RemoteError as exc:
                _record(provider, entity, local_id, label, error=str(exc)[:2000], now=now)
                continue
            remote[(entity, local_id)] = pushed.remote_id
            _record(provider, entity, local_id, label, pushed=pushed, fingerprint=fp, now=now)
            pushed_count += 1
    except ReconnectNeeded as exc:
        _set_connection(provider, status="reconnect", last_error=str(exc)[:1000], access_token_enc=None)
        return pushed_count
    except Throttled as exc:
        _set_connection(provider, last_sync_at=now or utcnow(), last_error=str(exc)[:1000])
        return pushed_count
    except RemoteError as exc:  # preparing the accounts failed
        _set_connection(provider, last_sync_at=now or utcnow(), last_error=str(exc)[:1000])
        return pushed_count
    _set_connection(provider, last_sync_at=now or utcnow(), last_error=None)
    return pushed_count


# --- what pages show -------------------------------------------------------------------------


def remote_number(session: Session, entity: str, local_id: int | str, provider: str | None = None) -> str | None:
    """ "1043" when the record is in the accounting system (the page says "In QuickBooks as 1043")."""
    provider = provider or active_provider(session)
    m = session.exec(
        select(AccountingMapping).where(
            AccountingMapping.provider == provider,
            AccountingMapping.entity == entity,
            AccountingMapping.local_id == str(local_id),
        )
    ).first()
    return (m.remote_number or m.remote_id) if m else None


def sync_log(
    session: Session, status: str | None = None, limit: int = 100, provider: str | None = None
) -> list[AccountingSyncLog]:
    provider = provider or active_provider(session)
    q = select(AccountingSyncLog).where(AccountingSyncLog.provider == provider)
    if status:
        q = q.where(AccountingSyncLog.status == status)
    return list(session.exec(q.order_by(AccountingSyncLog.updated_at.desc()).limit(limit)))


def in_accounting(session: Session, entity: str, local_ids: list[int]) -> dict[int, str]:
    """{l2c id: "In QuickBooks as 1043"} for the records already synced (one query)."""
    if not local_ids:
        return {}
    provider = active_provider(session)
    rows = session.exec(
        select(AccountingMapping).where(
            AccountingMapping.provider == provider,
            AccountingMapping.entity == entity,
            AccountingMapping.local_id.in_([str(i) for i in local_ids]),
        )
    )
    return {
        int(m.local_id): f"In {LABELS.get(m.provider, m.provider)} as {m.remote_number or m.remote_id}" for m in rows
    }
