"""The client record: the list of clients, one client's page (details, contacts, every
document with its status and amounts, one timeline) and its summary figures.

Money figures are never computed here a second time: an invoice's open amount is
`billing.service.open_amount` (what the invoice list shows, from the ledger's `paid_minor`),
the client's credit is `billing.ledger.client_credit_balance`. Figures are per currency (a
client may be billed in two); the "headline" currency is the client's default currency,
else the organisation's.

The use cases live in modules named for them (common, summary, listing, details, contacts,
documents, timeline); this module re-exports them so callers keep writing `service.X`.
"""

from __future__ import annotations

from l2c_app.clients.common import default_currency, get_account
from l2c_app.clients.contacts import add_contact, contact_json, list_contacts, update_contact
from l2c_app.clients.details import client_details, create_client, update_client
from l2c_app.clients.documents import client_documents
from l2c_app.clients.listing import SORTS, clients_csv, list_clients
from l2c_app.clients.summary import client_summary, open_by_account
from l2c_app.clients.timeline import client_timeline

__all__ = [
    "get_account",
    "default_currency",
    "open_by_account",
    "client_summary",
    "SORTS",
    "list_clients",
    "clients_csv",
    "client_details",
    "update_client",
    "create_client",
    "contact_json",
    "list_contacts",
    "add_contact",
    "update_contact",
    "client_documents",
    "client_timeline",
]
