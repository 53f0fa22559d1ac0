"""A local Xero stand-in: an HTTP server on 127.0.0.1 (a thread) speaking the part of Xero's
identity server and Accounting API (api.xro/2.0) that l2c uses, so the adapter runs through the
real `xero-python` SDK (XERO_API_BASE and XERO_IDENTITY_BASE point here). It keeps what was
pushed, so a test compares it with l2c's ledger.

Served:
  GET  /connect/authorize?...            consent: redirects to redirect_uri?code&state
  POST /connect/token                    authorization_code and refresh_token grants (form)
  GET  /connections                      the tenants this token may reach
  GET  /api.xro/2.0/{Collection}         ?page=n (100 a page), ?where=Name=="x" | Code=="x"
  PUT|POST /api.xro/2.0/{Collection}     create, or update when the element carries its ID
  POST /api.xro/2.0/Payments/{id}        {"Status": "DELETED"}
Collections: Accounts, Contacts, Items, Invoices, CreditNotes, Payments, BankTransactions.

Documented behaviours it models (each with the Xero page it follows):
- "OAuth 2.0 - Auth flow" (developer.xero.com/documentation/guides/oauth2/auth-flow): consent at
  login.xero.com/identity/connect/authorize redirects back with `code` and `state`; the code is
  exchanged at identity.xero.com/connect/token; the access token lives 30 minutes
  (expires_in 1800); "refresh tokens are single use": each refresh returns a new refresh token
  and the old one stops working (also docs.mage.ai's Xero source: "Xero uses rotating refresh
  tokens"). A used, revoked or unknown refresh token is answered 400 {"error": "invalid_grant"}
  (nango.dev "Xero OAuth refresh token invalid_grant"). `revoke_refresh_tokens()` models the user
  disconnecting the app.
- "Connections" (same guide, "Check the tenants you're authorized to access"): GET /connections
  with the access token lists {id, tenantId, tenantType: ORGANISATION, tenantName}; every API
  call carries `xero-tenant-id` (a wrong one is 403).
- An expired or unknown access token is answered 401 ("TokenExpired"); `expire_access_tokens()`.
- "Requests and responses - Paging" (developer.xero.com/documentation/api/accounting/
  requests-and-responses): paged GETs return up to 100 records for `page=n` (1-based).
- "HTTP response codes" (developer.xero.com/documentation/api/http-response-codes): a refused
  write is HTTP 400 {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation
  exception occurred", "Elements": [{..., "ValidationErrors": [{"Message": ...}]}]} (the SDK's
  Error/Element/ValidationError schemas). Duplicate contact names, a payment above the amount due,
  a reference to nothing, LineAmount != Quantity x UnitAmount are refused so. `fail_next(...)`
  injects one.
- "API rate limits" (developer.xero.com/documentation/guides/oauth2/limits, and the Xero FAQ
  "Limits"): 60 calls a minute per tenant; beyond that HTTP 429 with `Retry-After` (seconds) and
  `X-Rate-Limit-Problem: minute`; each response carries `X-MinLimit-Remaining` (`per_minute` is
  settable; `new_minute()` resets the count).
- "Idempotent requests" (developer.xero.com/documentation/guides/idempotent-requests; xero-python
  1.26.0 "Added Idempotency-Key as optional header param for all PUT, POST, PATCH requests"): a
  repeated write with the same Idempotency-Key returns the first response and changes nothing.
  Assumed (not stated there): only a successful write is remembered, so a refused one can be
  retried with the same key once the cause is fixed in Xero.
- Payments: "Payments" (developer.xero.com/documentation/api/accounting/payments): a payment
  applies to an AUTHORISED invoice, reduces its AmountDue and increases AmountPaid; it cannot be
  edited, only deleted (POST /Payments/{PaymentID} {"Status": "DELETED"}), which restores the
  amount due. Invoices: LineAmountTypes "Exclusive"; SubTotal = sum(LineAmount), TotalTax =
  sum(TaxAmount), Total = SubTotal + TotalTax ("Invoices" page). Items are keyed by Code (a POST
  with an existing Code updates it).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlparse

from tests.standin_server import JSONHandler, StandInServer

COLLECTIONS = {
    "Accounts": "AccountID",
    "Contacts": "ContactID",
    "Items": "ItemID",
    "Invoices": "InvoiceID",
    "CreditNotes": "CreditNoteID",
    "Payments": "PaymentID",
    "BankTransactions": "BankTransactionID",
}
PAGE = 100


def _dec(v) -> Decimal:
    return Decimal(str(v))


def _dates(rec: dict) -> dict:
    """Xero answers dates as "/Date(ms+0000)/" with a "DateString" beside ("Requests and responses")."""
    for key in ("Date", "DueDate"):
        v = rec.get(key)
        if isinstance(v, str) and not v.startswith("/Date("):
            d = datetime.fromisoformat(v[:10]).replace(tzinfo=UTC)
            rec[key], rec[f"{key}String"] = f"/Date({int(d.timestamp() * 1000)}+0000)/", v[:10] + "T00:00:00"
    return rec


class Invalid(Exception):
    def __init__(self, message: str, element: dict | None = None):
        super().__init__(message)
        self.message, self.element = message, element or {}

    def body(self) -> dict:
        return {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [dict(self.element, ValidationErrors=[{"Message": self.message}])],
        }


class XeroStandIn(StandInServer):
    def __init__(self, client_id: str = "xero-client", client_secret: str = "xero-secret"):
        self.client_id, self.client_secret = client_id, client_secret
        self.tenant = str(uuid.uuid4())
        self.store: dict[str, dict[str, dict]] = {c: {} for c in COLLECTIONS}
        self.codes: set[str] = set()
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.failures: list[tuple[str, str]] = []
        self.per_minute = 60
        self.calls_this_minute = 0
        self.calls: list[tuple[str, str]] = []  # (method, path) of every api.xro call
        self.refreshes = 0
        self.throttled = 0  # 429s answered
        self.lock = threading.Lock()

    # --- what a test does -----------------------------------------------------------

    def expire_access_tokens(self) -> None:
        self.access.clear()

    def revoke_refresh_tokens(self) -> None:
        self.refresh.clear()
        self.access.clear()

    def fail_next(self, collection: str, message: str) -> None:
        self.failures.append((collection, message))

    def new_minute(self) -> None:
        self.calls_this_minute = 0

    def all(self, collection: str) -> list[dict]:
        return list(self.store[collection].values())

    def consent(self, redirect_uri: str, state: str) -> str:
        code = secrets.token_urlsafe(12)
        self.codes.add(code)
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"

    # --- identity -------------------------------------------------------------------
    def _tokens(self) -> dict:
        access, refresh = "xat-" + secrets.token_urlsafe(16), "xrt-" + secrets.token_urlsafe(16)
        self.access.add(access)
        self.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": 1800,
            "scope": "offline_access accounting.transactions accounting.contacts accounting.settings",
        }

    def token(self, form: dict) -> tuple[int, dict]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 400, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") not in self.codes:
                return 400, {"error": "invalid_grant"}
            self.codes.discard(form["code"])
            return 200, self._tokens()
        if grant == "refresh_token":
            rt = form.get("refresh_token", "")
            if rt not in self.refresh:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            self.refresh.discard(rt)  # single use: rotated
            self.refreshes += 1
            return 200, self._tokens()
        return 400, {"error": "unsupported_grant_type"}

    # --- the accounting API -----------------------------------------------------------
    def api(self, method: str, path: str, query: dict, body: bytes, headers) -> tuple[int, dict, dict]:
        auth = headers.get("Authorization") or ""
        bearer = auth[7:] if auth.startswith("Bearer ") else None
        with self.lock:
            if bearer not in self.access:
                return 401, {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired"}, {}
            if path.lower() == "/connections":
                return (
                    200,
                    [
                        {
                            "id": str(uuid.uuid4()),
                            "tenantId": self.tenant,
                            "tenantType": "ORGANISATION",
                            "tenantName": "Demo Company",
                        }
                    ],
                    {},
                )
            self.calls_this_minute += 1
            left = max(self.per_minute - self.calls_this_minute, 0)
            if self.calls_this_minute > self.per_minute:
                self.throttled += 1
                return (
                    429,
                    {"Title": "Too Many Requests", "Status": 429},
                    {"Retry-After": "42", "X-Rate-Limit-Problem": "minute"},
                )
            self.calls.append((method, path))
            extra = {"X-MinLimit-Remaining": str(left)}
            if headers.get("xero-tenant-id") != self.tenant:
                return 403, {"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"}, extra
            parts = path.removeprefix("/api.xro/2.0/").split("/")
            coll = parts[0]
            if coll not in COLLECTIONS:
                return 404, {"Title": "Not Found", "Status": 404}, extra
            if method == "GET":
                return 200, {coll: self._get(coll, query)}, extra
            key = headers.get("Idempotency-Key")
            if key and key in self.idempotent:
                status, resp = self.idempotent[key]
                return status, resp, extra
            try:
                data = json.loads(body or b"{}", parse_float=Decimal)
                if coll == "Payments" and len(parts) == 2:
                    out = {coll: [self._delete_payment(parts[1], data)]}
                else:  # PUT /Accounts takes one account; the others a {Collection: [...]} batch
                    out = {coll: [self._write(coll, el) for el in data.get(coll, [data] if coll == "Accounts" else [])]}
                status, resp = 200, out
            except Invalid as exc:
                status, resp = 400, exc.body()
            if key and status == 200:  # a refused write is not remembered: fixed and sent again, it applies
                self.idempotent[key] = (status, resp)
            return status, resp, extra

    def _get(self, coll: str, query: dict) -> list[dict]:
        rows = list(self.store[coll].values())
        where = query.get("where", [""])[0]
        if "==" in where:
            field, value = where.split("==", 1)
            value = value.strip().strip('"').replace('\\"', '"')
            rows = [r for r in rows if str(r.get(field.strip())) == value]
        if "page" in query:
            page = int(query["page"][0])
            rows = rows[(page - 1) * PAGE : page * PAGE]
        return rows

    def _write(self, coll: str, el: dict) -> dict:
        idf = COLLECTIONS[coll]
        if self.failures and self.failures[0][0] == coll:
            raise Invalid(self.failures.pop(0)[1], el)
        rows = self.store[coll]
        if coll == "Items" and not el.get(idf):
            found = next((r for r in rows.values() if r["Code"] == el.get("Code")), None)
            if found:
                el = dict(el, ItemID=found["ItemID"])
        rid = el.get(idf)
        if rid and rid not in rows:
            raise Invalid(f"{idf} {rid} not found", el)
        current = dict(rows.get(rid, {}))
        if coll == "Contacts" and any(r["Name"] == el.get("Name") and r["ContactID"] != rid for r in rows.values()):
            raise Invalid(
                f"The contact name {el.get('Name')} is already assigned to another contact. "
                "The contact name must be unique across all active contacts.",
                el,
            )
        if coll == "Payments":
            return self._payment(el)
        rec = _dates(dict(current, **el))
        rec[idf] = rid or str(uuid.uuid4())
        if coll in ("Invoices", "CreditNotes", "BankTransactions"):
            self._totals(coll, rec)
        if coll == "Contacts" and el.get("ContactID") is None:
            rec.setdefault("ContactStatus", "ACTIVE")
        rows[rec[idf]] = rec
        return rec

    def _totals(self, coll: str, rec: dict) -> None:
        if "ContactID" in rec.get("Contact", {}) and rec["Contact"]["ContactID"] not in self.store["Contacts"]:
            raise Invalid("The contact does not exist", rec)
        sub, tax = Decimal(0), Decimal(0)
        for ln in rec.get("LineItems", []):
            qty, unit = _dec(ln.get("Quantity", 1)), _dec(ln["UnitAmount"])
            amount = _dec(ln.get("LineAmount", qty * unit))
            if (qty * unit).quantize(Decimal("0.01")) != amount:
                raise Invalid("The line total does not match Quantity x UnitAmount", rec)
            if ln.get("ItemCode") and not any(i["Code"] == ln["ItemCode"] for i in self.store["Items"].values()):
                raise Invalid(f"Item code '{ln['ItemCode']}' is not valid", rec)
            ln["LineAmount"] = amount
            sub += amount
            tax += _dec(ln.get("TaxAmount", 0))
        rec["SubTotal"], rec["TotalTax"], rec["Total"] = sub, tax, sub + tax
        if coll == "Invoices":
            paid = (
                sum(
                    (
                        _dec(p["Amount"])
                        for p in self.store["Payments"].values()
                        if p["Invoice"]["InvoiceID"] == rec["InvoiceID"] and p["Status"] == "AUTHORISED"
                    ),
                    Decimal(0),
                )
                if rec.get("InvoiceID")
                else Decimal(0)
            )
            rec["AmountPaid"], rec["AmountDue"] = paid, sub + tax - paid
        if coll == "CreditNotes":
            rec["RemainingCredit"] = sub + tax

    def _payment(self, el: dict) -> dict:
        inv = self.store["Invoices"].get((el.get("Invoice") or {}).get("InvoiceID", ""))
        if inv is None or inv.get("Status") != "AUTHORISED":
            raise Invalid("Payment can only be made against Authorised documents", el)
        account = (el.get("Account") or {}).get("AccountID")
        if not any(a["AccountID"] == account for a in self.store["Accounts"].values()):
            raise Invalid("Account could not be found", el)
        amount = _dec(el["Amount"])
        if amount > inv["AmountDue"]:
            raise Invalid("Payment amount exceeds the amount outstanding on this document", el)
        inv["AmountPaid"] += amount
        inv["AmountDue"] -= amount
        rec = _dates(dict(el, PaymentID=str(uuid.uuid4()), Status="AUTHORISED", PaymentType="ACCRECPAYMENT"))
        self.store["Payments"][rec["PaymentID"]] = rec
        return rec

    def _delete_payment(self, pid: str, data: dict) -> dict:
        p = self.store["Payments"].get(pid)
        if p is None:
            raise Invalid("Payment not found", {"PaymentID": pid})
        if data.get("Status") != "DELETED":
            raise Invalid("A payment can only be deleted", p)
        if p["Status"] != "DELETED":
            p["Status"] = "DELETED"
            inv = self.store["Invoices"][p["Invoice"]["InvoiceID"]]
            inv["AmountPaid"] -= _dec(p["Amount"])
            inv["AmountDue"] += _dec(p["Amount"])
        return p


class _Handler(JSONHandler):
    owner: XeroStandIn

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        s = self.owner
        if url.path == "/connect/authorize":
            target = s.consent(query["redirect_uri"][0], query.get("state", [""])[0])
            return self._redirect(target)
        if url.path == "/connect/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            with s.lock:
                status, body = s.token(form)
            return self._send(status, body)
        status, body, headers = s.api(method, url.path, query, self._body(), self.headers)
        return self._send(status, body, headers)


XeroStandIn.handler = _Handler
