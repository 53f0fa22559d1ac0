"""QuickBooks Online behind `port.AccountingSystem`, through python-quickbooks and intuit-oauth.

Configuration (environment): QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI (default
APP_BASE_URL + /api/accounting/qbo/callback), QBO_ENVIRONMENT (sandbox, production, or the URL
of an OpenID discovery document: a stand-in), QBO_API_BASE (default: Intuit's API host for the
environment). No Reflex, no database: the engine hands tokens in and stores what comes back.

Threat model:
- The refresh token is a long-lived key to the client's books: it is stored only encrypted
  (Fernet under a key derived from SECRET_KEY, core/twofactor), never logged, never shown; the
  access token likewise. A database leak alone gives neither.
- The OAuth callback is a CSRF target (an attacker could attach *their* company): the `state`
  l2c generated is stored and must come back unchanged, once; the code is exchanged over TLS
  with the client secret (HTTP Basic), so a stolen code alone is useless.
- A revoked or expired refresh token (`invalid_grant`) stops syncing and asks a person to connect
  again; l2c never loops on it. 401 on the API refreshes once, then gives up.
- What QuickBooks answers (error text) is shown in the sync log as text only; it never chooses
  an action beyond "failed, retry" (throttling stops the round).
- No call is made inside a database transaction (engine.sync_pending opens its own short ones).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from l2c_app.accounting.sync.port import Pushed, ReconnectNeeded, Refs, Remote, RemoteError, Throttled
from l2c_app.core.config import get_settings
from l2c_app.core.money import to_major

PROVIDER = "qbo"
LABEL = "QuickBooks"
MINOR_VERSION = 75
API_HOSTS = {"sandbox": "https://sandbox-quickbooks.api.intuit.com", "production": "https://quickbooks.api.intuit.com"}
# Accounts l2c posts to, found by name (or created) on the first sync: (role, name, type, subtype)
ACCOUNTS = (
    ("income", "Services income", "Income", "ServiceFeeIncome"),
    ("undeposited", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("clearing", "Stripe clearing", "Bank", "Checking"),
    ("fees", "Payment processing fees", "Expense", "BankCharges"),
)


@dataclass(frozen=True)
class QBOConfig:
    client_id: str
    client_secret: str
    redirect_uri: str
    environment: str
    api_base: str


def config() -> QBOConfig | None:
    """The app's QuickBooks credentials, or None when QuickBooks is not configured."""
    cid, secret = os.environ.get("QBO_CLIENT_ID"), os.environ.get("QBO_CLIENT_SECRET")
    if not cid or not secret:
        return None
    env = os.environ.get("QBO_ENVIRONMENT", "sandbox")
    base = os.environ.get("QBO_API_BASE") or API_HOSTS.get(env, API_HOSTS["sandbox"])
    redirect = (
        os.environ.get("QBO_REDIRECT_URI") or get_settings().app_base_url.rstrip("/") + "/api/accounting/qbo/callback"
    )
    return QBOConfig(cid, secret, redirect, env, base.rstrip("/"))


@dataclass
class Tokens:
    access_token: str | None
    refresh_token: str
    realm_id: str


def _auth_client(cfg: QBOConfig, tokens: Tokens | None = None):
    from intuitlib.client import AuthClient

    return AuthClient(
        cfg.client_id,
        cfg.client_secret,
        cfg.redirect_uri,
        cfg.environment,
        access_token=tokens.access_token if tokens else None,
        refresh_token=tokens.refresh_token if tokens else None,
        realm_id=tokens.realm_id if tokens else None,
    )


def authorization_url(cfg: QBOConfig, state: str) -> str:
    from intuitlib.enums import Scopes

    return _auth_client(cfg).get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def exchange_code(cfg: QBOConfig, code: str, realm_id: str) -> Tokens:
    from intuitlib.exceptions import AuthClientError

    ac = _auth_client(cfg)
    try:
        ac.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as exc:
        raise RemoteError(f"QuickBooks refused the connection (HTTP {exc.status_code})", "oauth") from None
    return Tokens(ac.access_token, ac.refresh_token, realm_id)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def _money(minor: int, currency: str) -> Decimal:
    return to_major(minor, currency)


class QuickBooks:
    """One sync round's client. `on_tokens(tokens)` is called after every refresh (the engine
    stores the new, rotated refresh token at once: the old one stops working)."""

    provider = PROVIDER
    label = LABEL

    def __init__(self, cfg: QBOConfig, tokens: Tokens, on_tokens):
        self.cfg, self.tokens, self.on_tokens = cfg, tokens, on_tokens
        self._ac = None
        self._qb = None
        self.accounts: dict[str, str] = {}

    # --- session ---------------------------------------------------------------------
    def _client(self):
        from quickbooks import QuickBooks as SDK

        if self._qb is None:
            if self._ac is None:
                self._ac = _auth_client(self.cfg, self.tokens)
            if self._ac.access_token is None:
                self._refresh()
            qb = SDK(
                auth_client=self._ac,
                refresh_token=self.tokens.refresh_token,
                company_id=self.tokens.realm_id,
                minorversion=MINOR_VERSION,
                use_decimal=True,
            )
            qb.api_url_v3 = qb.sandbox_api_url_v3 = f"{self.cfg.api_base}/v3"
            self._qb = qb
        return self._qb

    def _refresh(self) -> None:
        from intuitlib.exceptions import AuthClientError

        try:
            self._ac.refresh(refresh_token=self.tokens.refresh_token)
        except AuthClientError as exc:
            if exc.status_code in (400, 401) and b"invalid_grant" in (exc.content or b""):
                raise ReconnectNeeded(LABEL) from None
            raise RemoteError(f"QuickBooks token refresh failed (HTTP {exc.status_code})", "oauth") from None
        self.tokens = Tokens(self._ac.access_token, self._ac.refresh_token, self.tokens.realm_id)
        self._qb = None
        self.on_tokens(self.tokens)

    def _call(self, fn):
        from quickbooks.exceptions import AuthorizationException, QuickbooksException

        for attempt in (0, 1):
            try:
                return fn(self._client())
            except AuthorizationException as exc:
                if attempt == 0 and exc.error_code in (401, 3200):
                    self._refresh()
                    self._client()
                    continue
                raise RemoteError(f"{exc.message} {exc.detail}".strip(), str(exc.error_code)) from None
            except QuickbooksException as exc:
                if exc.error_code == 3001 or "ThrottleExceeded" in str(exc.message):
                    raise Throttled(
                        "QuickBooks' rate limit (500 requests a minute): the rest waits for the next round", "3001"
                    ) from None
                raise RemoteError(str(exc.detail or exc.message), str(exc.error_code)) from None
        raise AssertionError("unreachable")

    def _query(self, text: str) -> list[dict]:
        """Every row of a query, page by page (STARTPOSITION is 1-based, at most 1000 a page)."""
        rows: list[dict] = []
        start = 1
        while True:
            page = self._call(lambda qb, s=start: qb.query(f"{text} STARTPOSITION {s} MAXRESULTS 1000"))
            resp = page.get("QueryResponse", {})
            found = next((v for k, v in resp.items() if isinstance(v, list)), [])
            rows.extend(found)
            if len(found) < 1000:
                return rows
            start += len(found)

    def _save(self, entity: str, body: dict, existing: Remote | None, request_id: str | None = None) -> dict:
        from quickbooks.exceptions import QuickbooksException  # noqa: F401 (errors mapped in _call)
        from quickbooks.mixins import DecimalEncoder

        def send(qb, b):
            data = json.dumps(b, cls=DecimalEncoder)
            if existing is None:
                return qb.create_object(entity, data, request_id=request_id)
            return qb.update_object(entity, data)

        if existing is not None:
            body = dict(body, Id=existing.remote_id, SyncToken=existing.sync_token or "0", sparse=False)
        try:
            return self._call(lambda qb: send(qb, body))[entity]
        except RemoteError as exc:
            if existing is None or exc.code != "5010":
                raise
        # Stale Object Error: someone edited it in QuickBooks; take its SyncToken and send ours again
        current = self._call(lambda qb: qb.get_single_object(entity, existing.remote_id))[entity]
        body = dict(body, SyncToken=current["SyncToken"])
        return self._call(lambda qb: send(qb, body))[entity]

    @staticmethod
    def _pushed(obj: dict) -> Pushed:
        return Pushed(str(obj["Id"]), str(obj.get("SyncToken", "0")), obj.get("DocNumber") or str(obj["Id"]))

    def _by_name(self, entity: str, field: str, name: str) -> dict | None:
        safe = name.replace("'", "\\'")
        found = self._query(f"SELECT * FROM {entity} WHERE {field} = '{safe}'")
        return found[0] if found else None

    # --- accounts --------------------------------------------------------------------
    def prepare(self, accounts: dict[str, str]) -> dict[str, str]:
        out = dict(accounts)
        for role, name, acc_type, subtype in ACCOUNTS:
            if role in out:
                continue
            found = self._by_name("Account", "Name", name)
            if found is None:
                found = self._save("Account", {"Name": name, "AccountType": acc_type, "AccountSubType": subtype}, None)
            out[role] = str(found["Id"])
        self.accounts = out
        return out

    # --- the pushes ------------------------------------------------------------------
    def push_customer(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        body = {
            "DisplayName": payload["name"],
            "CompanyName": payload["name"],
            "CurrencyRef": {"value": payload["currency"]},
        }
        if payload.get("email"):
            body["PrimaryEmailAddr"] = {"Address": payload["email"]}
        if payload.get("tax_id"):
            body["ResaleNum"] = payload["tax_id"][:15]
        if existing is None:
            # a create that reached QuickBooks but whose answer was lost: adopt it, don't duplicate
            found = self._by_name("Customer", "DisplayName", payload["name"])
            if found is not None:
                existing = Remote(str(found["Id"]), str(found["SyncToken"]))
        return self._pushed(self._save("Customer", body, existing))

    def push_item(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        body = {"Name": payload["name"], "Type": "Service", "IncomeAccountRef": {"value": self.accounts["income"]}}
        if existing is None:
            found = self._by_name("Item", "Name", payload["name"])
            if found is not None:
                existing = Remote(str(found["Id"]), str(found["SyncToken"]))
        return self._pushed(self._save("Item", body, existing))

    def _lines(self, payload: dict, refs: Refs, sign: int = 1) -> list[dict]:
        cur = payload["currency"]
        out = []
        for ln in payload["lines"]:
            net = sign * ln["net_minor"]
            detail: dict[str, Any] = {
                "ItemRef": {"value": refs("item", ln["item"])},
                "TaxCodeRef": {"value": "TAX" if ln["tax_minor"] else "NON"},
            }
            qty, unit = Decimal(ln["quantity"]), sign * ln["unit_price_minor"]
            if qty and (qty * unit) == net:
                detail["Qty"], detail["UnitPrice"] = qty, _money(unit, cur)
            out.append(
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": _money(net, cur),
                    "Description": ln["description"][:4000],
                    "SalesItemLineDetail": detail,
                }
            )
        return out

    def push_invoice(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        cur = payload["currency"]
        body = {
            "CustomerRef": {"value": refs("customer", payload["customer"])},
            "DocNumber": payload["number"][:21],
            "TxnDate": payload["date"],
            "DueDate": payload["due"],
            "CurrencyRef": {"value": cur},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": self._lines(payload, refs),
            "TxnTaxDetail": {"TotalTax": _money(payload["tax_minor"], cur)},
            "PrivateNote": payload["memo"][:4000],
        }
        return self._pushed(self._save("Invoice", body, existing, payload["request_id"]))

    def push_credit_memo(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        cur = payload["currency"]
        body = {
            "CustomerRef": {"value": refs("customer", payload["customer"])},
            "DocNumber": payload["number"][:21],
            "TxnDate": payload["date"],
            "CurrencyRef": {"value": cur},
            "GlobalTaxCalculation": "TaxExcluded",
            "Line": self._lines(payload, refs, sign=-1),
            "TxnTaxDetail": {"TotalTax": _money(-payload["tax_minor"], cur)},
            "PrivateNote": payload["memo"][:4000],
        }
        return self._pushed(self._save("CreditMemo", body, existing, payload["request_id"]))

    def push_payment(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        cur = payload["currency"]
        amount = 0 if payload["void"] else payload["amount_minor"]
        body = {
            "CustomerRef": {"value": refs("customer", payload["customer"])},
            "TxnDate": payload["date"],
            "CurrencyRef": {"value": cur},
            "TotalAmt": _money(amount, cur),
            "PaymentRefNum": (payload.get("reference") or "")[:21],
            "DepositToAccountRef": {"value": self.accounts["clearing" if payload["stripe"] else "undeposited"]},
            "Line": []
            if not amount
            else [
                {
                    "Amount": _money(amount, cur),
                    "LinkedTxn": [{"TxnId": refs("invoice", payload["invoice"]), "TxnType": "Invoice"}],
                }
            ],
            "PrivateNote": payload["memo"][:4000],
        }
        return self._pushed(self._save("Payment", body, existing, payload["request_id"]))

    def push_fee(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        cur, fee = payload["currency"], _money(payload["fee_minor"], payload["currency"])
        body = {
            "TxnDate": payload["date"],
            "DocNumber": payload["number"][:21],
            "CurrencyRef": {"value": cur},
            "PrivateNote": payload["memo"][:4000],
            "Line": [
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": fee,
                    "Description": payload["memo"][:4000],
                    "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": self.accounts["fees"]}},
                },
                {
                    "DetailType": "JournalEntryLineDetail",
                    "Amount": fee,
                    "Description": payload["memo"][:4000],
                    "JournalEntryLineDetail": {
                        "PostingType": "Credit",
                        "AccountRef": {"value": self.accounts["clearing"]},
                    },
                },
            ],
        }
        return self._pushed(self._save("JournalEntry", body, existing, payload["request_id"]))

    def push_refund(self, payload: dict, existing: Remote | None, refs: Refs) -> Pushed:
        cur = payload["currency"]
        body = {
            "CustomerRef": {"value": refs("customer", payload["customer"])},
            "TxnDate": payload["date"],
            "CurrencyRef": {"value": cur},
            "PaymentRefNum": (payload.get("reference") or "")[:21],
            "DepositToAccountRef": {"value": self.accounts["clearing" if payload["stripe"] else "undeposited"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": _money(payload["amount_minor"], cur),
                    "Description": payload["memo"][:4000],
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": refs("item", "refund")},
                        "TaxCodeRef": {"value": "NON"},
                    },
                }
            ],
            "PrivateNote": payload["memo"][:4000],
        }
        return self._pushed(self._save("RefundReceipt", body, existing, payload["request_id"]))
