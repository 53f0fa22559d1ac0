"""A local Stripe stand-in: an HTTP server on 127.0.0.1 (a thread) that speaks the part of
the Stripe API l2c uses, in the current API's shapes, so the production adapter runs
through the real `stripe` SDK (`STRIPE_API_BASE` points at it). No test reaches Stripe.

Served (form-encoded in, JSON out, `Idempotency-Key` honoured on POST):
  POST /v1/payment_links, POST /v1/payment_links/{id}, GET /v1/payment_links/{id}
  GET  /v1/checkout/sessions, GET /v1/payment_intents/{id}, GET /v1/charges/{id}
  POST /v1/refunds, GET /v1/refunds, GET /v1/events
  GET  /v1/balance_transactions/{id}, GET /v1/payouts, GET /v1/payouts/{id}
  GET  /v1/account, GET /v1/webhook_endpoints (what "Test connection" asks)

Documented behaviours it models (each with the Stripe page it follows):
- "Idempotent requests" (docs.stripe.com/api/idempotent_requests): v1 saves the status and
  body of the first request made with a key and replays them (header `Idempotent-Replayed`)
  to every later request with that key, for at least 24 hours; here, for the whole run.
- "List all events" (docs.stripe.com/api/events/list): newest first, `types[]` filter,
  `created[gte|gt|lte|lt]`, `limit` (default 10, at most 100), `starting_after` paging with
  `has_more`. Same paging for "List all Checkout Sessions" with its `status` filter, and
  "List all refunds" with `charge`.
- "Payment Links" (restrictions.completed_sessions.limit): a limited link deactivates once
  the limit of completed sessions is reached, and a SEPA/ACH session completes while its
  payment is still processing ("Checkout: fulfill orders", delayed notification payment
  methods: checkout.session.async_payment_succeeded / _failed follow).
- "Refund object" (docs.stripe.com/api/refunds/object) and the 2024-10-28.acacia changelog
  "Adds created, updated, and failed events for all refund types": a refund sends
  charge.refunded (the charge, cumulative `amount_refunded`, no embedded refunds) and
  refund.created; `fail_refund` models a refund failing after it succeeded (status failed,
  the charge's amount_refunded goes down, refund.failed and charge.refund.updated).
- "Dispute object" (docs.stripe.com/api/disputes/object): statuses incl. `prevented`;
  `balance_transactions` lists the funds withdrawn and reinstated, with
  charge.dispute.funds_withdrawn / charge.dispute.funds_reinstated events.
- "Balance Transaction object" (docs.stripe.com/api/balance_transactions/object): every
  charge has one (`charge.balance_transaction`), with `amount`, `fee` (and `fee_details`,
  type `stripe_fee`), `net = amount - fee`, `currency` (the balance's), `status` pending
  until `available_on`, `type` charge, `source` the charge. The fee is the standard card
  price, 2.9 % + 30 minor units (half-up), or `card_fee(amount)` set by a test.
  "Expanding responses" (docs.stripe.com/api/expanding_objects): `expand[]=
  latest_charge.balance_transaction` on a PaymentIntent returns both objects inline.
- "Payout object" (docs.stripe.com/api/payouts/object) and the "Payouts" guide
  (docs.stripe.com/payouts): `payout(amount)` sends a payout that is `paid`
  (payout.paid); `payout(amount, fail="account_closed")` one that `failed`, with
  `failure_code`, `failure_message` and `failure_balance_transaction` (the funds back in
  the balance; payout.failed). `fail_payout(id)` models "some payouts that fail might
  initially show as paid, then change to failed".
- Authentication ("Authentication", docs.stripe.com/api/authentication): with
  `api_keys` set, a request whose bearer key is not among them is answered 401
  `invalid_request_error` "Invalid API Key provided" (the SDK raises AuthenticationError).
- Checkout sessions with Adaptive Pricing carry `currency_conversion.fx_rate`, a decimal
  string the SDK turns into `Decimal` (`pay(..., fx_rate="1.0834")`).
Plus what a test (or the browser journey) does as the *payer* or as Stripe's backend:
  `pay(link_id)` (session + intent + charge, events sent), `settle_async(...)`,
  `refund(...)`, `dispute(...)`, `close_dispute(...)`, and GET/POST /pay/{link_id}, a
  checkout page with a "Pay" button that redirects to the link's after_completion URL.
Events are signed with `stripe.WebhookSignature.generate_signature_header` and delivered
to `webhook_url` (real HTTP) or through `sender(body, headers)` (e.g. a TestClient).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx
import stripe

API_VERSION = "2026-10-28.endive"


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) back to nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [fix(node[k]) for k in sorted(node, key=int)]
            return {k: fix(v) for k, v in node.items()}
        return node

    return fix(root)


class StripeStandIn:
    def __init__(
        self, webhook_secret: str, webhook_url: str | None = None, sender: Callable[[bytes, dict], int] | None = None
    ):
        self.secret = webhook_secret
        self.webhook_url = webhook_url
        self.sender = sender
        self.objects: dict[str, dict] = {}
        self.events: list[dict] = []
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.idempotent_params: dict[str, dict] = {}
        self.versions: list[str | None] = []  # the Stripe-Version header of every API request
        self.requests: list[tuple[str, str, dict]] = []
        self.deliveries: list[tuple[str, int]] = []
        self.lock = threading.RLock()
        self._seq = itertools.count(1)
        self.auto_deliver = True
        self.page_cap = 100  # a page holds up to `limit` items; a smaller cap forces paging
        self.api_keys: set[str] | None = None  # None: any key; else only these authenticate
        self.card_fee: Callable[[int], int] = lambda amount: (amount * 29 + 500) // 1000 + 30
        self.account = {
            "id": "acct_test_standin",
            "object": "account",
            "country": "FR",
            "default_currency": "eur",
            "charges_enabled": True,
            "payouts_enabled": True,
            "settings": {"dashboard": {"display_name": "Stand-in Studio"}},
        }
        self.webhook_endpoints: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StripeStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- objects
    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._seq):06d}{secrets.token_hex(4)}"

    def _now(self) -> int:
        return int(time.time())

    def links(self) -> list[dict]:
        return [o for o in self.objects.values() if o["object"] == "payment_link"]

    def create_payment_link(self, params: dict) -> dict:
        line = (params.get("line_items") or [{}])[0]
        pdata = line.get("price_data") or {}
        if not pdata.get("currency") or "unit_amount" not in pdata:
            raise ValueError("line_items[0][price_data] needs currency and unit_amount")
        link_id = self._id("plink")
        price = {
            "id": self._id("price"),
            "object": "price",
            "currency": pdata["currency"],
            "unit_amount": int(pdata["unit_amount"]),
            "product": self._id("prod"),
            "active": True,
        }
        link = {
            "id": link_id,
            "object": "payment_link",
            "active": True,
            "livemode": False,
            "url": f"{self.base_url}/pay/{link_id}",
            "currency": pdata["currency"],
            "metadata": params.get("metadata") or {},
            "payment_intent_data": {"metadata": (params.get("payment_intent_data") or {}).get("metadata") or {}},
            "restrictions": params.get("restrictions"),
            "after_completion": params.get("after_completion"),
            "line_items": {"object": "list", "data": [{"price": price, "quantity": int(line.get("quantity", 1))}]},
            "_completed": 0,
        }
        self.objects[link_id] = link
        return link

    def amount_of(self, link_id: str) -> int:
        return self.objects[link_id]["line_items"]["data"][0]["price"]["unit_amount"]

    # --- the payer and Stripe's backend
    def pay(
        self,
        link_id: str,
        *,
        delayed: bool = False,
        force: bool = False,
        deliver: bool | None = None,
        fx_rate: str | None = None,
    ) -> dict:
        """Complete a checkout on the link: session + payment intent (+ charge unless delayed)."""
        with self.lock:
            link = self.objects[link_id]
            limit = int(((link.get("restrictions") or {}).get("completed_sessions") or {}).get("limit") or 0)
            if not force and (not link["active"] or (limit and link["_completed"] >= limit)):
                raise ValueError("This payment link is no longer active")
            amount, currency = self.amount_of(link_id), link["currency"]
            pi_id, cs_id = self._id("pi"), self._id("cs")
            charge = None
            if not delayed:
                charge = self._charge(pi_id, amount, currency)
            pi = {
                "id": pi_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0 if delayed else amount,
                "currency": currency,
                "status": "processing" if delayed else "succeeded",
                "latest_charge": charge["id"] if charge else None,
                "metadata": dict(link["payment_intent_data"]["metadata"]),
                "created": self._now(),
                "livemode": False,
            }
            cs = {
                "id": cs_id,
                "object": "checkout.session",
                "mode": "payment",
                "amount_total": amount,
                "currency": currency,
                "payment_intent": pi_id,
                "payment_link": link_id,
                "payment_status": "unpaid" if delayed else "paid",
                "status": "complete",
                "metadata": dict(link["metadata"]),
                "created": self._now(),
                "livemode": False,
                "currency_conversion": (
                    {"amount_subtotal": amount, "amount_total": amount, "fx_rate": fx_rate, "source_currency": "usd"}
                    if fx_rate
                    else None
                ),
            }
            self.objects[pi_id], self.objects[cs_id] = pi, cs
            link["_completed"] += 1
            evs = [self.event("checkout.session.completed", cs)]
            if not delayed:
                evs.append(self.event("payment_intent.succeeded", pi))
        self._maybe_deliver(evs, deliver)
        return {"session": cs, "payment_intent": pi, "charge": charge, "events": evs}

    def _charge(self, pi_id: str, amount: int, currency: str) -> dict:
        ch = {
            "id": self._id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "refunded": False,
            "currency": currency,
            "paid": True,
            "status": "succeeded",
            "payment_intent": pi_id,
            "metadata": {},
            "created": self._now(),
            "livemode": False,
        }
        fee = int(self.card_fee(amount))
        bt = {
            "id": self._id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "currency": currency,
            "fee": fee,
            "net": amount - fee,
            "exchange_rate": None,
            "type": "charge",
            "reporting_category": "charge",
            "status": "pending",
            "source": ch["id"],
            "description": None,
            "created": ch["created"],
            "available_on": ch["created"] + 2 * 86400,
            "fee_details": [
                {
                    "amount": fee,
                    "currency": currency,
                    "type": "stripe_fee",
                    "description": "Stripe processing fees",
                    "application": None,
                }
            ],
        }
        ch["balance_transaction"] = bt["id"]
        self.objects[bt["id"]] = bt
        self.objects[ch["id"]] = ch
        return ch

    def payout(
        self, amount: int, currency: str = "eur", *, fail: str | None = None, deliver: bool | None = None
    ) -> dict:
        """Stripe sends `amount` of the balance to the bank: paid, or failed with `fail` as failure_code."""
        with self.lock:
            po_id, now = self._id("po"), self._now()
            bt = {
                "id": self._id("txn"),
                "object": "balance_transaction",
                "amount": -amount,
                "currency": currency,
                "fee": 0,
                "net": -amount,
                "type": "payout",
                "reporting_category": "payout",
                "status": "available",
                "source": po_id,
                "created": now,
                "available_on": now,
                "fee_details": [],
            }
            self.objects[bt["id"]] = bt
            po = {
                "id": po_id,
                "object": "payout",
                "amount": amount,
                "currency": currency,
                "arrival_date": now + 2 * 86400,
                "automatic": True,
                "balance_transaction": bt["id"],
                "created": now,
                "destination": "ba_test_standin",
                "failure_balance_transaction": None,
                "failure_code": None,
                "failure_message": None,
                "livemode": False,
                "metadata": {},
                "method": "standard",
                "source_type": "card",
                "statement_descriptor": None,
                "status": "paid",
                "type": "bank_account",
                "reconciliation_status": "completed",
            }
            self.objects[po_id] = po
            if fail:
                self._fail(po, fail)
            evs = [self.event("payout.failed" if fail else "payout.paid", po)]
        self._maybe_deliver(evs, deliver)
        return po

    FAILURES = {
        "account_closed": "The bank account has been closed.",
        "no_account": "The bank account details on file are probably incorrect.",
        "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    }

    def _fail(self, po: dict, code: str) -> None:
        back = {
            "id": self._id("txn"),
            "object": "balance_transaction",
            "amount": po["amount"],
            "currency": po["currency"],
            "fee": 0,
            "net": po["amount"],
            "type": "payout_failure",
            "reporting_category": "payout_reversal",
            "status": "available",
            "source": po["id"],
            "created": self._now(),
            "available_on": self._now(),
            "fee_details": [],
        }
        self.objects[back["id"]] = back
        po.update(
            status="failed",
            failure_code=code,
            failure_message=self.FAILURES.get(code, code),
            failure_balance_transaction=back["id"],
        )

    def fail_payout(self, payout_id: str, code: str = "account_closed", deliver: bool | None = None) -> dict:
        """A payout shown as paid fails later (the Payouts guide: within 5 business days)."""
        with self.lock:
            po = self.objects[payout_id]
            self._fail(po, code)
            evs = [self.event("payout.failed", po)]
        self._maybe_deliver(evs, deliver)
        return po

    def settle_async(self, cs_id: str, success: bool = True, deliver: bool | None = None) -> list[dict]:
        with self.lock:
            cs = self.objects[cs_id]
            pi = self.objects[cs["payment_intent"]]
            if success:
                ch = self._charge(pi["id"], pi["amount"], pi["currency"])
                pi.update(status="succeeded", amount_received=pi["amount"], latest_charge=ch["id"])
                cs["payment_status"] = "paid"
                evs = [
                    self.event("checkout.session.async_payment_succeeded", cs),
                    self.event("payment_intent.succeeded", pi),
                ]
            else:
                pi.update(status="requires_payment_method")
                evs = [self.event("checkout.session.async_payment_failed", cs)]
        self._maybe_deliver(evs, deliver)
        return evs

    def refund(self, charge_id: str, amount: int | None = None, deliver: bool | None = None) -> dict:
        with self.lock:
            ch = self.objects[charge_id]
            amount = ch["amount"] - ch["amount_refunded"] if amount is None else amount
            if amount <= 0 or ch["amount_refunded"] + amount > ch["amount"]:
                raise ValueError("Refund amount exceeds the charge")
            re_ = {
                "id": self._id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge_id,
                "payment_intent": ch["payment_intent"],
                "currency": ch["currency"],
                "status": "succeeded",
                "reason": None,
                "failure_reason": None,
                "metadata": {},
                "created": self._now(),
            }
            self.objects[re_["id"]] = re_
            ch["amount_refunded"] += amount
            ch["refunded"] = ch["amount_refunded"] == ch["amount"]
            evs = [self.event("charge.refunded", ch), self.event("refund.created", re_)]
        self._maybe_deliver(evs, deliver)
        return re_

    def fail_refund(self, refund_id: str, deliver: bool | None = None) -> list[dict]:
        """The refund fails (e.g. the card was closed): the money returns to the balance."""
        with self.lock:
            re_ = self.objects[refund_id]
            ch = self.objects[re_["charge"]]
            re_.update(status="failed", failure_reason="expired_or_canceled_card")
            ch["amount_refunded"] -= re_["amount"]
            ch["refunded"] = ch["amount_refunded"] == ch["amount"]
            evs = [self.event("refund.failed", re_), self.event("charge.refund.updated", re_)]
        self._maybe_deliver(evs, deliver)
        return evs

    def _balance_txn(self, dp: dict, amount: int, description: str) -> dict:
        return {
            "id": self._id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "currency": dp["currency"],
            "fee": 1500 if amount < 0 else -1500,
            "net": amount - 1500 if amount < 0 else amount + 1500,
            "type": "adjustment",
            "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
            "description": description,
            "source": dp["id"],
            "created": self._now(),
        }

    def dispute(self, charge_id: str, deliver: bool | None = None, withdraw: bool = True) -> dict:
        """A chargeback: Stripe withdraws the disputed amount at once (two events); an inquiry
        or a prevented dispute (withdraw=False) takes nothing."""
        with self.lock:
            ch = self.objects[charge_id]
            dp = {
                "id": self._id("dp"),
                "object": "dispute",
                "amount": ch["amount"],
                "charge": charge_id,
                "payment_intent": ch["payment_intent"],
                "currency": ch["currency"],
                "status": "needs_response",
                "reason": "fraudulent",
                "created": self._now(),
                "livemode": False,
                "balance_transactions": [],
                "is_charge_refundable": False,
            }
            self.objects[dp["id"]] = dp
            ev = self.event("charge.dispute.created", dp)
            evs = [ev]
            if withdraw:
                dp["balance_transactions"].append(
                    self._balance_txn(dp, -dp["amount"], f"Chargeback withdrawal for {charge_id}")
                )
                evs.append(self.event("charge.dispute.funds_withdrawn", dp))
        self._maybe_deliver(evs, deliver)
        return ev

    def close_dispute(self, dispute_id: str, status: str = "won", deliver: bool | None = None) -> dict:
        """Closed as won (funds reinstated first, when they were withdrawn), lost or prevented."""
        with self.lock:
            dp = self.objects[dispute_id]
            dp["status"] = status
            evs = []
            if status == "won" and dp["balance_transactions"]:
                dp["balance_transactions"].append(self._balance_txn(dp, dp["amount"], "Chargeback reversal"))
                evs.append(self.event("charge.dispute.funds_reinstated", dp))
            ev = self.event("charge.dispute.closed", dp)
            evs.append(ev)
        self._maybe_deliver(evs, deliver)
        return ev

    def add_webhook_endpoint(
        self, url: str, events: list[str], api_version: str | None = API_VERSION, status: str = "enabled"
    ) -> dict:
        """What the operator makes in Developers > Webhooks ("Webhook Endpoint object")."""
        ep = {
            "id": self._id("we"),
            "object": "webhook_endpoint",
            "url": url,
            "enabled_events": list(events),
            "api_version": api_version,
            "status": status,
            "livemode": False,
            "created": self._now(),
            "description": None,
            "metadata": {},
            "application": None,
        }
        self.webhook_endpoints.append(ep)
        return ep

    # --- events
    def event(self, type_: str, obj: dict) -> dict:
        snapshot = json.loads(json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}))
        ev = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": {"object": snapshot},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.append(ev)
        return ev

    def signed(self, ev: dict, timestamp: int | None = None, secret: str | None = None) -> tuple[bytes, dict]:
        body = json.dumps(ev)
        header = stripe.WebhookSignature.generate_signature_header(body, secret or self.secret, timestamp=timestamp)
        return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}

    def deliver(self, ev: dict, timestamp: int | None = None, secret: str | None = None) -> int:
        body, headers = self.signed(ev, timestamp, secret)
        if self.sender is not None:
            status = self.sender(body, headers)
        else:
            status = httpx.post(self.webhook_url, content=body, headers=headers, timeout=30).status_code
        self.deliveries.append((ev["id"], status))
        return status

    def _maybe_deliver(self, evs: list[dict], deliver: bool | None) -> None:
        if deliver if deliver is not None else self.auto_deliver:
            for ev in evs:
                self.deliver(ev)

    # --- HTTP
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(
                self, status: int, body: dict | str, content_type: str = "application/json", headers: dict | None = None
            ) -> None:
                data = (json.dumps(body) if isinstance(body, dict) else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str) -> None:
                self._send(status, {"error": {"type": "invalid_request_error", "message": message}})

            def _authenticated(self) -> bool:
                auth = self.headers.get("Authorization") or ""
                key = auth[7:] if auth.startswith("Bearer ") else ""
                if standin.api_keys is None or key in standin.api_keys:
                    return True
                shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
                self._send(
                    401, {"error": {"type": "invalid_request_error", "message": f"Invalid API Key provided: {shown}"}}
                )
                return False

            def _params(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                query = urlparse(self.path).query
                return _nest(parse_qsl(raw, keep_blank_values=True) + parse_qsl(query, keep_blank_values=True))

            def do_GET(self):  # noqa: N802
                path = urlparse(self.path).path
                params = self._params()
                standin.requests.append(("GET", path, params))
                standin.versions.append(self.headers.get("Stripe-Version"))
                if path.startswith("/pay/"):
                    return self._checkout_page(path.split("/")[2])
                if not self._authenticated():
                    return None
                if path == "/v1/account":
                    return self._send(200, dict(standin.account))
                if path == "/v1/webhook_endpoints":
                    limit = int(params.get("limit", 10))
                    return self._send(
                        200,
                        {
                            "object": "list",
                            "url": path,
                            "data": standin.webhook_endpoints[:limit],
                            "has_more": len(standin.webhook_endpoints) > limit,
                        },
                    )
                m = re.fullmatch(
                    r"/v1/(payment_links|payment_intents|charges|refunds|checkout/sessions|"
                    r"balance_transactions|payouts)/([\w]+)",
                    path,
                )
                if m:
                    obj = standin.objects.get(m.group(2))
                    if obj is None:
                        return self._error(404, f"No such object: {m.group(2)}")
                    return self._send(200, _expand(standin.objects, _public(obj), params.get("expand") or []))
                if path in ("/v1/events", "/v1/checkout/sessions", "/v1/payment_links", "/v1/refunds", "/v1/payouts"):
                    return self._list(path, params)
                return self._error(404, f"Unrecognized request URL (GET: {path})")

            def _list(self, path: str, params: dict) -> None:
                kind = {
                    "/v1/checkout/sessions": "checkout.session",
                    "/v1/payment_links": "payment_link",
                    "/v1/refunds": "refund",
                    "/v1/payouts": "payout",
                }
                with standin.lock:
                    if path == "/v1/events":
                        items = list(reversed(standin.events))
                    else:
                        items = [o for o in reversed(list(standin.objects.values())) if o["object"] == kind[path]]
                types = params.get("types")
                if types:
                    types = types if isinstance(types, list) else [types]
                    items = [o for o in items if o["type"] in types]
                if "type" in params:
                    items = [o for o in items if o["type"] == params["type"]]
                if path == "/v1/checkout/sessions" and params.get("status"):
                    items = [o for o in items if o["status"] == params["status"]]
                if path == "/v1/refunds" and params.get("charge"):
                    items = [o for o in items if o["charge"] == params["charge"]]
                created = params.get("created")
                if isinstance(created, dict):
                    ops = {
                        "gte": lambda a, b: a >= b,
                        "gt": lambda a, b: a > b,
                        "lte": lambda a, b: a <= b,
                        "lt": lambda a, b: a < b,
                    }
                    for op, value in created.items():
                        items = [o for o in items if ops[op](o["created"], int(value))]
                elif created:
                    items = [o for o in items if o["created"] == int(created)]
                if params.get("starting_after"):
                    ids = [o["id"] for o in items]
                    if params["starting_after"] not in ids:
                        return self._error(400, f"No such object: {params['starting_after']}")
                    items = items[ids.index(params["starting_after"]) + 1 :]
                limit = int(params.get("limit", 10))
                if not 1 <= limit <= 100:
                    return self._error(400, "limit must be between 1 and 100")
                limit = min(limit, standin.page_cap)
                self._send(
                    200,
                    {
                        "object": "list",
                        "url": path,
                        "has_more": len(items) > limit,
                        "data": [_public(o) for o in items[:limit]],
                    },
                )

            def do_POST(self):  # noqa: N802
                path = urlparse(self.path).path
                params = self._params()
                standin.requests.append(("POST", path, params))
                standin.versions.append(self.headers.get("Stripe-Version"))
                if path.startswith("/pay/"):
                    return self._pay_from_page(path.split("/")[2])
                if not self._authenticated():
                    return None
                key = self.headers.get("Idempotency-Key")
                if key and (path + key) in standin.idempotent:
                    status, body = standin.idempotent[path + key]
                    if standin.idempotent_params.get(path + key) != params:
                        # "Idempotent requests": the parameters are compared with the first request's.
                        return self._send(
                            400,
                            {
                                "error": {
                                    "type": "idempotency_error",
                                    "message": "Keys for idempotent requests can only be used with "
                                    "the same parameters they were first used with.",
                                }
                            },
                        )
                    return self._send(status, body, headers={"Idempotent-Replayed": "true"})
                try:
                    with standin.lock:
                        status, body = self._post(path, params)
                except (ValueError, KeyError) as exc:
                    status, body = 400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
                if key and status < 500:
                    standin.idempotent[path + key] = (status, body)
                    standin.idempotent_params[path + key] = params
                return self._send(status, body)

            def _post(self, path: str, params: dict) -> tuple[int, dict]:
                if path == "/v1/payment_links":
                    return 200, _public(standin.create_payment_link(params))
                m = re.fullmatch(r"/v1/payment_links/(\w+)", path)
                if m:
                    link = standin.objects.get(m.group(1))
                    if link is None:
                        return 404, {"error": {"type": "invalid_request_error", "message": "No such payment link"}}
                    if "active" in params:
                        link["active"] = params["active"] == "true"
                    return 200, _public(link)
                if path == "/v1/refunds":
                    charge_id = params.get("charge") or standin.objects[params["payment_intent"]]["latest_charge"]
                    return 200, standin.refund(charge_id, int(params["amount"]) if "amount" in params else None)
                return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}

            def _checkout_page(self, link_id: str) -> None:
                link = standin.objects.get(link_id)
                if link is None or not link["active"]:
                    return self._send(410, "<h1>This link is no longer active</h1>", "text/html")
                amount = standin.amount_of(link_id) / 100
                page = (
                    f"<html><head><title>Stand-in checkout</title></head><body><h1>Stand-in checkout</h1>"
                    f"<p>Amount: {amount:.2f} {html.escape(link['currency'].upper())}</p>"
                    f"<form method='post' action='/pay/{link_id}'><button type='submit'>Pay</button></form>"
                    f"</body></html>"
                )
                self._send(200, page, "text/html")

            def _pay_from_page(self, link_id: str) -> None:
                try:
                    standin.pay(link_id)
                except (ValueError, KeyError) as exc:
                    return self._send(400, f"<h1>{html.escape(str(exc))}</h1>", "text/html")
                link = standin.objects[link_id]
                target = ((link.get("after_completion") or {}).get("redirect") or {}).get("url") or "/"
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _expand(objects: dict[str, dict], obj: dict, paths: list | str) -> dict:
    """`expand[]=a.b`: replace the id at `a` (and then `b` inside it) with the object itself."""
    for path in [paths] if isinstance(paths, str) else paths:
        node = obj
        for name in str(path).split("."):
            value = node.get(name)
            if isinstance(value, str) and value in objects:
                value = node[name] = _public(objects[value])
            if not isinstance(value, dict):
                break
            node = value
    return obj
