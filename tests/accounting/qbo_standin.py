"""A local QuickBooks Online stand-in: an HTTP server on 127.0.0.1 (a thread) speaking the part
of the QBO Accounting API v3 and of Intuit's OAuth 2.0 server that l2c uses, so the adapter runs
through the real `python-quickbooks` and `intuit-oauth` SDKs (the discovery URL and the API
base point here). It keeps what was pushed, so a test compares it with l2c's ledger.

Served:
  GET  /.well-known/openid_configuration       (intuit-oauth reads its endpoints from it)
  GET  /connect/oauth2?...                      consent: redirects to redirect_uri?code&state&realmId
  POST /oauth2/v1/tokens/bearer                 authorization_code and refresh_token grants
  POST /oauth2/v1/tokens/revoke
  POST /v3/company/{realm}/{entity}             create, or update when the body has an Id
  GET  /v3/company/{realm}/{entity}/{id}        read
  POST|GET /v3/company/{realm}/query            SELECT * FROM X [WHERE a = 'b'] [STARTPOSITION n] [MAXRESULTS n]
Entities: Customer, Item, Account, Invoice, CreditMemo, Payment, RefundReceipt, JournalEntry.

Documented behaviours it models (each with the Intuit page it follows):
- "Authorization FAQ" / OAuth 2.0 (developer.intuit.com/app/developer/qbo/docs/develop/
  authentication-and-authorization/faq) and intuit-oauth's "User Guide"
  (oauth-pythonclient.readthedocs.io): the consent redirect carries `code`, `state` and
  `realmId`; the code is exchanged at the bearer endpoint (HTTP Basic client credentials) for an
  access token (expires_in 3600) and a refresh token (x_refresh_token_expires_in); a refresh
  returns a new refresh token. A revoked or unknown refresh token is answered 400
  `{"error": "invalid_grant"}` (the bearer endpoint's error, see "QuickBooks OAuth refresh token
  invalid_grant", nango.dev). `revoke_refresh_tokens()` models the user disconnecting the app.
- An API call with an expired or unknown access token is answered 401 (python-quickbooks raises
  AuthorizationException on HTTP 401; `expire_access_tokens()` models the hour passing).
- "Query operations and syntax" (developer.intuit.com/app/developer/qbo/docs/learn/
  explore-the-quickbooks-online-api/data-queries): `SELECT * | count(*) FROM Entity [WHERE ... AND
  ...] [STARTPOSITION n] [MAXRESULTS n]`, STARTPOSITION is 1-based, MAXRESULTS defaults to 100
  and is at most 1000; the `QueryResponse` carries `startPosition`, `maxResults` and the
  entity's list (absent when nothing matched).
- Optimistic locking with SyncToken: an update whose SyncToken is not the current one is refused
  with Fault code 5010 "Stale Object Error" (python-quickbooks issue #127 quotes the body); each
  accepted update increments SyncToken.
- Validation Faults (`{"Fault": {"Error": [{"Message", "Detail", "code", "element"}],
  "type": "ValidationFault"}}`, HTTP 400): 6240 "Duplicate Name Exists Error" for a second
  Customer/Item/Account with the same name, 2500 "Invalid Reference Id" for a reference to
  nothing, 2020 "Required param missing". `fail_next(entity, code, message)` injects one.
- Throttling ("QuickBooks Online API throttling", blogs.intuit.com 2016-08-08): 500 requests per
  minute per realmId; beyond that HTTP 429 with "message=ThrottleExceeded; errorCode=003001;
  statusCode=429" (here inside a Fault so the SDK can read it; `per_minute` is settable).
- `requestid` (same blog: "use a requestId when sending any API request"): a repeated create with
  the same requestid returns the first response instead of creating twice.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlparse

from tests.standin_server import JSONHandler, StandInServer

ENTITIES = {
    "customer": "Customer",
    "item": "Item",
    "account": "Account",
    "invoice": "Invoice",
    "creditmemo": "CreditMemo",
    "payment": "Payment",
    "refundreceipt": "RefundReceipt",
    "journalentry": "JournalEntry",
}
NAMED = {"Customer": "DisplayName", "Item": "Name", "Account": "Name"}
REFS = {
    "CustomerRef": "Customer",
    "ItemRef": "Item",
    "AccountRef": "Account",
    "DepositToAccountRef": "Account",
    "IncomeAccountRef": "Account",
}
MAX_RESULTS = 1000


def _dec(v) -> Decimal:
    return Decimal(str(v))


class Fault(Exception):
    def __init__(self, code: int, message: str, detail: str = "", status: int = 400, kind: str = "ValidationFault"):
        super().__init__(message)
        self.code, self.message, self.detail, self.status, self.kind = code, message, detail, status, kind

    def body(self) -> dict:
        return {
            "Fault": {
                "Error": [
                    {
                        "Message": self.message,
                        "Detail": self.detail or self.message,
                        "code": str(self.code),
                        "element": "",
                    }
                ],
                "type": self.kind,
            }
        }


class QBOStandIn(StandInServer):
    def __init__(self, client_id: str = "qbo-client", client_secret: str = "qbo-secret", realm: str = "9130350000"):
        self.client_id, self.client_secret, self.realm = client_id, client_secret, realm
        self.store: dict[str, dict[str, dict]] = {name: {} for name in ENTITIES.values()}
        self.next_id = 1
        self.codes: dict[str, str] = {}  # authorization code -> realm
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.request_ids: dict[str, dict] = {}
        self.faults: list[tuple[str, Fault]] = []
        self.per_minute = 500
        self.requests_this_minute = 0
        self.calls: list[tuple[str, str]] = []  # (method, path) of every v3 call
        self.lock = threading.Lock()

    # --- what a test does -----------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid_configuration"

    def expire_access_tokens(self) -> None:
        self.access.clear()

    def revoke_refresh_tokens(self) -> None:
        self.refresh.clear()
        self.access.clear()

    def fail_next(
        self, entity: str, code: int = 6000, message: str = "A business validation error has occurred", detail: str = ""
    ) -> None:
        self.faults.append((entity, Fault(code, message, detail)))

    def new_minute(self) -> None:
        self.requests_this_minute = 0

    def all(self, entity: str) -> list[dict]:
        return list(self.store[entity].values())

    def consent(self, redirect_uri: str, state: str) -> str:
        """What the user's browser ends on after "Connect" at Intuit: l2c's callback URL."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = self.realm
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state, 'realmId': self.realm})}"

    # --- OAuth ------------------------------------------------------------------------
    def _tokens(self) -> dict:
        access, refresh = "at-" + secrets.token_urlsafe(16), "rt-" + secrets.token_urlsafe(16)
        self.access.add(access)
        self.refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
        }

    def token(self, auth: str | None, form: dict) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != expected:
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if self.codes.pop(form.get("code", ""), None) is None:
                return 400, {"error": "invalid_grant"}
            return 200, self._tokens()
        if grant == "refresh_token":
            rt = form.get("refresh_token", "")
            if rt not in self.refresh:
                return 400, {"error": "invalid_grant", "error_description": "Token invalid"}
            self.refresh.discard(rt)
            return 200, self._tokens()
        return 400, {"error": "unsupported_grant_type"}

    # --- the v3 API ---------------------------------------------------------------------
    def api(self, method: str, path: str, query: dict, body: bytes, bearer: str | None) -> tuple[int, dict]:
        m = re.fullmatch(r"/v3/company/([^/]+)/([a-z]+)(?:/([^/]+))?", path)
        if not m:
            return 404, Fault(610, "Object Not Found", status=404).body()
        realm, entity_path, obj_id = m.groups()
        with self.lock:
            if bearer not in self.access:
                msg = "message=AuthenticationFailed; errorCode=003200; statusCode=401"
                return 401, {"fault": {"error": [{"message": msg, "code": "3200"}], "type": "AUTHENTICATION"}}
            self.requests_this_minute += 1
            if self.requests_this_minute > self.per_minute:
                return 429, Fault(
                    3001, "message=ThrottleExceeded; errorCode=003001; statusCode=429", status=429, kind="SERVICE"
                ).body()
            self.calls.append((method, path))
            try:
                if realm != self.realm:
                    raise Fault(3100, "ApplicationAuthorizationFailed", status=403, kind="AUTHORIZATION")
                if entity_path == "query":
                    text = body.decode() if method == "POST" and body else query.get("query", [""])[0]
                    return 200, self._query(text)
                name = ENTITIES.get(entity_path)
                if name is None:
                    raise Fault(610, "Object Not Found", f"Unknown entity {entity_path}")
                if method == "GET" and obj_id:
                    obj = self.store[name].get(obj_id)
                    if obj is None:
                        raise Fault(610, "Object Not Found", f"{name} {obj_id}")
                    return 200, {name: obj}
                rid = query.get("requestid", [None])[0]
                if rid and rid in self.request_ids:
                    return 200, self.request_ids[rid]
                data = json.loads(body or b"{}", parse_float=Decimal)
                for i, (ent, fault) in enumerate(self.faults):
                    if ent == name:
                        del self.faults[i]
                        raise fault
                out = {name: self._save(name, data)}
                if rid:
                    self.request_ids[rid] = out
                return 200, out
            except Fault as f:
                return f.status, f.body()

    def _query(self, text: str) -> dict:
        m = re.fullmatch(
            r"\s*select\s+(\*|count\(\*\))\s+from\s+(\w+)(?:\s+where\s+(.+?))?"
            r"(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?\s*",
            text,
            re.I | re.S,
        )
        if not m:
            raise Fault(4000, "Error parsing query", f"QueryParserError: {text}")
        what, entity, where, start, maxr = m.groups()
        name = next((n for n in ENTITIES.values() if n.lower() == entity.lower()), None)
        if name is None:
            raise Fault(4001, "Invalid query", f"QueryValidationError: Entity {entity} is not supported")
        rows = list(self.store[name].values())
        for cond in re.split(r"\s+and\s+", where or "", flags=re.I) if where else []:
            c = re.fullmatch(r"\s*(\w+)\s*=\s*'((?:[^']|\\')*)'\s*", cond)
            if not c:
                raise Fault(4000, "Error parsing query", cond)
            field, value = c.group(1), c.group(2).replace("\\'", "'")
            rows = [r for r in rows if str(r.get(field)) == value]
        if what.lower() == "count(*)":
            return {"QueryResponse": {"totalCount": len(rows)}}
        start_i, max_i = int(start or 1), min(int(maxr or 100), MAX_RESULTS)
        page = rows[start_i - 1 : start_i - 1 + max_i]
        resp: dict = {"startPosition": start_i, "maxResults": len(page)}
        if page:
            resp[name] = page
        return {"QueryResponse": resp}

    def _check_refs(self, obj) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in REFS:
                    if not isinstance(v, dict) or str(v.get("value")) not in self.store[REFS[k]]:
                        raise Fault(2500, "Invalid Reference Id", f"Invalid Reference Id : {k} {v!r}")
                else:
                    self._check_refs(v)
        elif isinstance(obj, list):
            for v in obj:
                self._check_refs(v)
        for txn in (obj.get("LinkedTxn") or []) if isinstance(obj, dict) else []:
            kind = {"Invoice": "Invoice", "CreditMemo": "CreditMemo"}.get(txn.get("TxnType"))
            if kind is None or str(txn.get("TxnId")) not in self.store[kind]:
                raise Fault(2500, "Invalid Reference Id", f"Invalid Reference Id : LinkedTxn {txn!r}")

    def _save(self, name: str, data: dict) -> dict:
        self._check_refs(data)
        key = NAMED.get(name)
        if key:
            if not data.get(key):
                raise Fault(
                    2020,
                    "Required param missing, need to supply the required value for the API",
                    f"Required parameter {key} is missing in the request",
                )
            clash = [o for o in self.store[name].values() if o.get(key) == data[key] and o["Id"] != str(data.get("Id"))]
            if clash:
                raise Fault(
                    6240, "Duplicate Name Exists Error", f"The name supplied already exists. : Id={clash[0]['Id']}"
                )
        if name in ("Invoice", "CreditMemo", "RefundReceipt") and not data.get("Line"):
            raise Fault(
                2020,
                "Required param missing, need to supply the required value for the API",
                "Required parameter Line is missing in the request",
            )
        if data.get("Id"):
            current = self.store[name].get(str(data["Id"]))
            if current is None:
                raise Fault(610, "Object Not Found", f"{name} {data['Id']}")
            if str(data.get("SyncToken")) != current["SyncToken"]:
                raise Fault(
                    5010,
                    "Stale Object Error",
                    "Stale Object Error : You and l2c were working on this at the same time. "
                    "l2c finished before you did, so your work was not saved.",
                )
            obj = dict(data, Id=current["Id"], SyncToken=str(int(current["SyncToken"]) + 1))
        else:
            obj = dict(data, Id=str(self.next_id), SyncToken="0")
            self.next_id += 1
        if name in ("Invoice", "CreditMemo", "RefundReceipt"):
            net = sum(
                (_dec(ln["Amount"]) for ln in obj["Line"] if ln.get("DetailType") == "SalesItemLineDetail"), Decimal(0)
            )
            tax = _dec((obj.get("TxnTaxDetail") or {}).get("TotalTax", 0))
            obj["TotalAmt"] = net + tax
            if name == "Invoice":
                obj.setdefault("DocNumber", obj["Id"])
        if name == "Payment":
            applied = sum((_dec(ln["Amount"]) for ln in obj.get("Line", [])), Decimal(0))
            if applied > _dec(obj.get("TotalAmt", 0)):
                raise Fault(
                    6000,
                    "A business validation error has occurred while processing your request",
                    "Business Validation Error: The amount applied is more than the payment amount",
                )
            obj["UnappliedAmt"] = _dec(obj.get("TotalAmt", 0)) - applied
        if name == "JournalEntry":
            dr = sum(
                (
                    _dec(ln["Amount"])
                    for ln in obj.get("Line", [])
                    if ln["JournalEntryLineDetail"]["PostingType"] == "Debit"
                ),
                Decimal(0),
            )
            cr = sum(
                (
                    _dec(ln["Amount"])
                    for ln in obj.get("Line", [])
                    if ln["JournalEntryLineDetail"]["PostingType"] == "Credit"
                ),
                Decimal(0),
            )
            if dr != cr:
                raise Fault(
                    6000,
                    "A business validation error has occurred while processing your request",
                    "Business Validation Error: Transaction must be balanced",
                )
        self.store[name][obj["Id"]] = obj
        self._balances()
        return obj

    def _balances(self) -> None:
        """Invoice Balance = TotalAmt - payments applied to it; Customer Balance = sum of open invoices
        less unapplied credit memos (as QBO's A/R shows it)."""
        applied: dict[str, Decimal] = {}
        for p in self.store["Payment"].values():
            for ln in p.get("Line", []):
                for t in ln.get("LinkedTxn", []):
                    if t.get("TxnType") == "Invoice":
                        applied[str(t["TxnId"])] = applied.get(str(t["TxnId"]), Decimal(0)) + _dec(ln["Amount"])
        for inv in self.store["Invoice"].values():
            inv["Balance"] = _dec(inv["TotalAmt"]) - applied.get(inv["Id"], Decimal(0))
        for cust in self.store["Customer"].values():
            cid = cust["Id"]
            owed = sum(
                (_dec(i["Balance"]) for i in self.store["Invoice"].values() if i["CustomerRef"]["value"] == cid),
                Decimal(0),
            )
            credit = sum(
                (_dec(c["TotalAmt"]) for c in self.store["CreditMemo"].values() if c["CustomerRef"]["value"] == cid),
                Decimal(0),
            )
            cust["Balance"] = owed - credit


class _Handler(JSONHandler):
    owner: QBOStandIn

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        s = self.owner
        if url.path == "/.well-known/openid_configuration":
            base = s.base_url
            return self._send(
                200,
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/connect/oauth2",
                    "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
                    "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
                    "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
                    "jwks_uri": f"{base}/oauth2/v1/keys",
                },
            )
        if url.path == "/connect/oauth2":
            target = s.consent(query["redirect_uri"][0], query.get("state", [""])[0])
            return self._redirect(target)
        if url.path == "/oauth2/v1/tokens/bearer" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            with s.lock:
                status, body = s.token(self.headers.get("Authorization"), form)
            return self._send(status, body)
        if url.path == "/oauth2/v1/tokens/revoke" and method == "POST":
            token = json.loads(self._body() or b"{}").get("token")
            with s.lock:
                s.refresh.discard(token)
            return self._send(200, {})
        auth = self.headers.get("Authorization") or ""
        bearer = auth[7:] if auth.startswith("Bearer ") else None
        status, body = s.api(method, url.path, query, self._body(), bearer)
        return self._send(status, body, {"Retry-After": "60"} if status == 429 else None)


QBOStandIn.handler = _Handler
