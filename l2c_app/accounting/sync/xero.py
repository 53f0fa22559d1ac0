"""Xero behind `port.AccountingSystem`, through the official `xero-python` SDK (AccountingApi,
IdentityApi, TokenApi).

Configuration (environment): XERO_CLIENT_ID, XERO_CLIENT_SECRET, XERO_REDIRECT_URI (default
APP_BASE_URL + /api/accounting/xero/callback), XERO_API_BASE (default https://api.xero.com: the
accounting API is under /api.xro/2.0, the tenants under /connections), XERO_IDENTITY_BASE (default
https://identity.xero.com: /connect/token; the consent page is login.xero.com's unless this is set,
then /connect/authorize under it). No Reflex, no database: the engine hands tokens in and stores
what comes back.

What is posted: contacts; items (Code = l2c's line kind); invoices ACCREC with line amounts
exclusive of tax and each line's tax as l2c computed it (TaxAmount); credit notes ACCRECCREDIT;
payments against the invoice into the Stripe clearing bank account (Stripe) or the receipts bank
account; a payment's fee as a SPEND bank transaction from the clearing account to the fees
account; a refund as a SPEND bank transaction to the client from the account it was paid into.
A payment cannot be edited in Xero: a reversed payment is deleted (Status DELETED).

Threat model (as qbo.py): the refresh token is stored only encrypted and never logged; Xero
rotates it on every refresh, so the new one is handed to `on_tokens` (stored at once) before any
other call; the OAuth `state` is checked once (connection.finish_connect); `invalid_grant` stops
syncing and asks a person to connect again; a 401 refreshes once; a 429 stops the round (Xero
allows 60 calls a minute per tenant); Xero's error text is shown as text only. The SDK sends
amounts as JSON numbers from Decimals with two places (exact in JSON text).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from l2c_app.accounting.sync.port import Pushed, ReconnectNeeded, Refs, Remote, RemoteError, Throttled
from l2c_app.core.config import get_settings
from l2c_app.core.money import to_major

PROVIDER = "xero"
LABEL = "Xero"
SCOPES = ("offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings")
PAGE = 100  # Xero's page size for paged GETs (`page=` from 1)
# Accounts l2c posts to, found by code (or created) on the first sync: (role, code, name, type)
ACCOUNTS = (
    ("income", "L2C200", "Services income", "REVENUE"),
    ("fees", "L2C404", "Payment processing fees", "EXPENSE"),
    ("clearing", "L2C090", "Stripe clearing", "BANK"),
    ("bank", "L2C091", "l2c receipts", "BANK"),
)


@dataclass(frozen=True)
class XeroConfig:
    client_id: str
    client_secret: str
    redirect_uri: str
    api_base: str
    identity_base: str
    authorize_url: str


def config() -> XeroConfig | None:
    """The app's Xero credentials, or None when Xero is not configured."""
    cid, secret = os.environ.get("XERO_CLIENT_ID"), os.environ.get("XERO_CLIENT_SECRET")
    if not cid or not secret:
        return None
    api = (os.environ.get("XERO_API_BASE") or "https://api.xero.com").rstrip("/")
    ident = os.environ.get("XERO_IDENTITY_BASE")
    authorize = (
        f"{ident.rstrip('/')}/connect/authorize" if ident else "https://login.xero.com/identity/connect/authorize"
    )
    redirect = (
        os.environ.get("XERO_REDIRECT_URI") or get_settings().app_base_url.rstrip("/") + "/api/accounting/xero/callback"
    )
    return XeroConfig(cid, secret, redirect, api, (ident or "https://identity.xero.com").rstrip("/"), authorize)


@dataclass
class Tokens:
    access_token: str | None
    refresh_token: str
    realm_id: str  # the Xero tenant id (the `xero-tenant-id` header)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def authorization_url(cfg: XeroConfig, state: str) -> str:
    return (
        cfg.authorize_url
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": cfg.client_id,
                "redirect_uri": cfg.redirect_uri,
                "scope": " ".join(SCOPES),
                "state": state,
            }
        )
    )


def _api_client(cfg: XeroConfig, token: dict):
    from xero_python.api_client import ApiClient
    from xero_python.api_client.configuration import Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    holder = {"token": token}
    client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id=cfg.client_id, client_secret=cfg.client_secret)),
        oauth2_token_getter=lambda: holder["token"],
        oauth2_token_saver=lambda t: holder.update(token=t),
    )
    client._l2c_holder = holder
    # urllib3 would sleep through a 429's Retry-After itself (up to three times): l2c stops the
    # round instead and the next one goes on; connection errors are still retried twice
    import urllib3

    client.rest_client.pool_manager.connection_pool_kw["retries"] = urllib3.util.Retry(
        total=2, respect_retry_after_header=False, status_forcelist=()
    )
    return client


def _token_dict(access: str | None, refresh: str, expires_in: int = 1800) -> dict:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "scope": list(SCOPES),
        "expires_in": expires_in,
        "token_type": "Bearer",
        "expires_at": time.time() + expires_in,
    }


def _grant(cfg: XeroConfig, client, data: dict) -> dict:
    """POST the identity token endpoint through the SDK's TokenApi (grant: code or refresh)."""
    from xero_python.api_client.oauth2 import TokenApi
    from xero_python.exceptions import HTTPStatusException

    api = TokenApi(client, cfg.client_id, cfg.client_secret)
    url = f"{cfg.identity_base}/connect/token"
    try:
        if data["grant_type"] == "refresh_token":
            api.refresh_token_url = url
            return api.refresh_token(data["refresh_token"], list(SCOPES))
        response, status, _ = client.call_api(
            url,
            "POST",
            header_params={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
            post_params=dict(data, client_id=cfg.client_id, client_secret=cfg.client_secret),
            auth_settings=None,
            _preload_content=False,
        )
        return api.parse_token_response(response)
    except HTTPStatusException as exc:
        body = (exc.body or b"") if isinstance(exc.body, bytes) else str(exc.body or "").encode()
        if exc.status in (400, 401) and b"invalid_grant" in body:
            raise ReconnectNeeded(LABEL) from None
        raise RemoteError(f"Xero's token endpoint refused (HTTP {exc.status})", "oauth") from None


def exchange_code(cfg: XeroConfig, code: str, realm_id: str = "") -> Tokens:
    """Code -> tokens, then the tenant from /connections (the first one the user authorised)."""
    from xero_python.identity import IdentityApi

    client = _api_client(cfg, _token_dict(None, ""))
    try:
        t = _grant(cfg, client, {"grant_type": "authorization_code", "code": code, "redirect_uri": cfg.redirect_uri})
    except ReconnectNeeded:
        raise RemoteError("Xero refused the connection (invalid_grant)", "oauth") from None
    client._l2c_holder["token"] = _token_dict(t["access_token"], t["refresh_token"], int(t.get("expires_in", 1800)))
    tenants = [
        c
        for c in IdentityApi(client, base_url=cfg.api_base).get_connections()
        if (c.tenant_type or "ORGANISATION") == "ORGANISATION"
    ]
    if not tenants:
        raise RemoteError("Xero returned no organisation for this connection", "oauth")
    return Tokens(t["access_token"], t["refresh_token"], str(tenants[0].tenant_id))


def _money(minor: int, currency: str) -> Decimal:
    return to_major(minor, currency)


def _errors(exc) -> str:
    """Xero's validation errors (`Elements[].ValidationErrors[].Message`), else its Message."""
    try:
        data = json.loads(exc.body if isinstance(exc.body, str) else (exc.body or b"").decode())
    except (ValueError, AttributeError):
        return f"HTTP {exc.status}"
    msgs = [v.get("Message", "") for el in data.get("Elements", []) for v in el.get("ValidationErrors", [])]
    return "; ".join(m for m in msgs if m) or data.get("Message") or data.get("Detail") or f"HTTP {exc.status}"


class Xero:
    """One sync round's client. `on_tokens(tokens)` is called after every refresh (Xero rotates
    the refresh token each time: the old one stops working)."""

    provider = PROVIDER
    label = LABEL

    def __init__(self, cfg: XeroConfig, tokens: Tokens, on_tokens):
        from xero_python.accounting import AccountingApi

        self.cfg, self.tokens, self.on_tokens = cfg, tokens, on_tokens
        self.client = _api_client(cfg, _token_dict(tokens.access_token, tokens.refresh_token))
        self.api = AccountingApi(self.client, base_url=f"{cfg.api_base}/api.xro/2.0")
        self.accounts: dict[str, str] = {}
        self.codes: dict[str, str] = {}
        if not tokens.access_token:
            self._refresh()

    def _refresh(self) -> None:
        t = _grant(self.cfg, self.client, {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token})
        self.tokens = Tokens(t["access_token"], t["refresh_token"], self.tokens.realm_id)
        self.client._l2c_holder["token"] = _token_dict(
            t["access_token"], t["refresh_token"], int(t.get("expires_in", 1800))
        )
        self.on_tokens(self.tokens)

    def _call(self, method: str, *args, **kwargs):
        from xero_python.exceptions import HTTPStatusException, RateLimitException

        for attempt in (0, 1):
            try:
                return getattr(self.api, method)(self.tokens.realm_id, *args, **kwargs)
            except RateLimitException as exc:
                wait = (exc.headers or {}).get("Retry-After", "60")
                raise Throttled(
                    f"Xero's rate limit (60 calls a minute per organisation): retry after {wait} s; "
                    "the rest waits for the next round",
                    "429",
                ) from None
            except HTTPStatusException as exc:
                if exc.status == 401 and attempt == 0:
                    self._refresh()
                    continue
                raise RemoteError(_errors(exc), str(exc.status)) from None
        raise AssertionError("unreachable")

    def _all(self, method: str, attr: str, **kwargs) -> list:
        """Every row of a paged GET (`page=` from 1, 100 a page)."""
        rows: list = []
        page = 1
        while True:
            found = getattr(self._call(method, page=page, **kwargs), attr) or []
            rows.extend(found)
            if len(found) < PAGE:
                return rows
            page += 1

    # --- accounts --------------------------------------------------------------------
    def prepare(self, accounts: dict[str, str]) -> dict[str, str]:
        out = dict(accounts)
        missing = [a for a in ACCOUNTS if a[0] not in out or f"{a[0]}_code" not in out]
        if missing:
            existing = {a.code: a for a in self._call("get_accounts").accounts or []}
            for role, code, name, kind in missing:
                acc = existing.get(code)
                if acc is None:
                    body = {"Code": code, "Name": name, "Type": kind}
                    if kind == "BANK":
                        body["BankAccountNumber"] = code
                    acc = self._call("create_account", body).accounts[0]
                out[role], out[f"{role}_code"] = str(acc.account_id), code
        self.accounts = out
        return out

    # --- the pushes ------------------------------------------------------------------
    @staticmethod
    def _one(result, attr: str):
        rows = getattr(result, attr)
        row = rows[0]
        errs = [v.message for v in (getattr(row, "validation_errors", None) or [])]
        if errs:
            raise RemoteError("; ".join(errs), "400")
        return row

    def push_customer(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        body = {"Name": payload["name"][:255], "DefaultCurrency": payload["currency"]}
        if payload.get("email"):
            body["EmailAddress"] = payload["email"]
        if payload.get("tax_id"):
            body["TaxNumber"] = payload["tax_id"][:50]
        if existing is None:  # a create whose answer was lost: adopt it (Xero's contact names are unique)
            name = payload["name"].replace('"', '\\"')
            found = self._all("get_contacts", "contacts", where=f'Name=="{name}"')
            if found:
                existing = Remote(str(found[0].contact_id))
        if existing is not None:
            body["ContactID"] = existing.remote_id
        c = self._one(
            self._call(
                "update_or_create_contacts",
                {"Contacts": [body]},
                idempotency_key="l2c-customer-"
                + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32],
            ),
            "contacts",
        )
        return Pushed(str(c.contact_id), None, c.name)

    def push_item(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        code = payload["name"][:30]
        body = {
            "Code": code,
            "Name": payload["name"][:50],
            "SalesDetails": {"AccountCode": self.accounts["income_code"]},
        }
        it = self._one(self._call("update_or_create_items", {"Items": [body]}), "items")
        return Pushed(str(it.item_id), None, it.code)

    def _lines(self, payload: dict, refs: Refs, sign: int = 1) -> list[dict]:
        cur = payload["currency"]
        out = []
        for ln in payload["lines"]:
            net = sign * ln["net_minor"]
            qty, unit = Decimal(ln["quantity"]), sign * ln["unit_price_minor"]
            if not (qty and qty * unit == net):
                qty, unit = Decimal(1), net
            refs("item", ln["item"])  # the item is in Xero first
            out.append(
                {
                    "ItemCode": ln["item"] and self._item_code(ln["item"]),
                    "Description": ln["description"][:4000],
                    "Quantity": qty,
                    "UnitAmount": _money(unit, cur),
                    "LineAmount": _money(net, cur),
                    "AccountCode": self.accounts["income_code"],
                    "TaxAmount": _money(sign * ln["tax_minor"], cur),
                }
            )
        return out

    @staticmethod
    def _item_code(kind: str) -> str:
        from l2c_app.accounting.sync.engine import ITEM_NAMES

        return ITEM_NAMES.get(kind, kind)[:30]

    def _document(self, payload: dict, existing: Remote | None, refs: Refs, kind: str) -> dict:
        sign = -1 if kind == "ACCRECCREDIT" else 1
        body = {
            "Type": kind,
            "Contact": {"ContactID": refs("customer", payload["customer"])},
            "Date": payload["date"],
            "CurrencyCode": payload["currency"],
            "LineAmountTypes": "Exclusive",
            "Status": "AUTHORISED",
            "Reference": payload["memo"][:255],
            "LineItems": self._lines(payload, refs, sign),
        }
        if kind == "ACCREC":
            body["InvoiceNumber"], body["DueDate"] = payload["number"][:255], payload["due"]
        else:
            body["CreditNoteNumber"] = payload["number"][:255]
        return body

    def push_invoice(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        body = self._document(payload, existing, refs, "ACCREC")
        if existing is not None:
            body["InvoiceID"] = existing.remote_id
        inv = self._one(
            self._call("update_or_create_invoices", {"Invoices": [body]}, idempotency_key=payload["request_id"]),
            "invoices",
        )
        return Pushed(str(inv.invoice_id), None, inv.invoice_number)

    def push_credit_memo(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        body = self._document(payload, existing, refs, "ACCRECCREDIT")
        if existing is not None:
            body["CreditNoteID"] = existing.remote_id
        cn = self._one(
            self._call("update_or_create_credit_notes", {"CreditNotes": [body]}, idempotency_key=payload["request_id"]),
            "credit_notes",
        )
        return Pushed(str(cn.credit_note_id), None, cn.credit_note_number)

    def push_payment(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        if existing is not None:
            # Xero does not edit a payment: a reversed one is deleted; the amount never changes
            if payload["void"]:
                self._one(self._call("delete_payment", existing.remote_id, {"Status": "DELETED"}), "payments")
            return Pushed(existing.remote_id, None, None)
        if payload["void"]:
            return Pushed("none", None, None)  # reversed before it reached Xero: nothing to post
        body = {
            "Invoice": {"InvoiceID": refs("invoice", payload["invoice"])},
            "Account": {"AccountID": self.accounts["clearing" if payload["stripe"] else "bank"]},
            "Date": payload["date"],
            "Amount": _money(payload["amount_minor"], payload["currency"]),
            "Reference": (payload.get("reference") or payload["memo"])[:255],
        }
        p = self._one(
            self._call("create_payments", {"Payments": [body]}, idempotency_key=payload["request_id"]), "payments"
        )
        return Pushed(str(p.payment_id), None, None)

    def _spend(
        self,
        payload: dict,
        existing: Remote | None,
        account: str,
        contact: dict,
        line_account: str,
        amount_minor: int,
        reference: str,
    ) -> Pushed:
        cur = payload["currency"]
        body = {
            "Type": "SPEND",
            "Contact": contact,
            "BankAccount": {"AccountID": self.accounts[account]},
            "Date": payload["date"],
            "CurrencyCode": cur,
            "LineAmountTypes": "NoTax",
            "Reference": reference[:255],
            "LineItems": [
                {
                    "Description": payload["memo"][:4000],
                    "Quantity": Decimal(1),
                    "UnitAmount": _money(amount_minor, cur),
                    "AccountCode": line_account,
                }
            ],
        }
        if existing is not None:
            body["BankTransactionID"] = existing.remote_id
        bt = self._one(
            self._call(
                "update_or_create_bank_transactions",
                {"BankTransactions": [body]},
                idempotency_key=payload["request_id"],
            ),
            "bank_transactions",
        )
        return Pushed(str(bt.bank_transaction_id), None, None)

    def push_fee(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        return self._spend(
            payload,
            existing,
            "clearing",
            {"Name": "Stripe"},
            self.accounts["fees_code"],
            payload["fee_minor"],
            payload["number"],
        )

    def push_refund(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        return self._spend(
            payload,
            existing,
            "clearing" if payload["stripe"] else "bank",
            {"ContactID": refs("customer", payload["customer"])},
            self.accounts["income_code"],
            payload["amount_minor"],
            payload.get("reference") or payload["memo"],
        )
