"""Typed rows of the list pages (issue 12): each dataclass row carries exactly the keys the page
reads (the old dict's keys, in order), and the state's JSON of a row is the old dict's JSON."""

from __future__ import annotations

from dataclasses import fields

import pytest
from reflex.utils.format import json_dumps

from l2c_app.billing.views import InvoiceRow, PaymentRow
from l2c_app.clients.state import ClientRow
from l2c_app.contracts.views import ContractRow
from l2c_app.leads.lists import LeadRow
from l2c_app.projects.project_view import ProjectRow
from l2c_app.quotes.records import QuoteRow

# The keys of the dict each page read before its row was typed, in the builder's order.
OLD_KEYS = {
    ProjectRow: "id name account status planned burn color hours",
    ClientRow: "id name domain owner open overdue active",
    InvoiceRow: "id number kind status status_label color flags client total paid open issue_date due_date href",
    PaymentRow: "in_accounting id amount method status date reference reversal_reason invoice invoice_href client",
    ContractRow: "id title status provider deal deal_id created signed sent",
    QuoteRow: "id label title deal_id deal_title account status version total_minor currency total expires_on updated",
    LeadRow: "id name email company phone source status owner owner_email created message duplicate_of_lead_id "
    "duplicate_of_contact_id duplicate deal_id reason",
}


@pytest.mark.parametrize("row_type", list(OLD_KEYS), ids=lambda t: t.__name__)
def test_row_fields_are_the_old_dict_keys(row_type):
    assert [f.name for f in fields(row_type)] == OLD_KEYS[row_type].split()


# Contract, quote and lead rows keep the old dict's ints and bool: JSON numbers and booleans, as before.
SAMPLE = {"deal_id": 7, "signed": True, "version": 2, "total_minor": 12345, "duplicate_of_lead_id": 0}


@pytest.mark.parametrize("row_type", list(OLD_KEYS), ids=lambda t: t.__name__)
def test_state_json_of_a_row_is_the_dicts(row_type):
    old = {k: SAMPLE.get(k, f"{k} value") for k in OLD_KEYS[row_type].split()}
    assert json_dumps([row_type(**old)]) == json_dumps([old])


def _states():
    from l2c_app.billing.state import InvoicesState
    from l2c_app.contracts.state import ContractsListState, DealContractsState
    from l2c_app.leads.state import LeadsState
    from l2c_app.payments.state import PaymentsState
    from l2c_app.quotes.state import QuotesListState

    return [
        (InvoicesState, "invoices", InvoiceRow),
        (PaymentsState, "ledger", PaymentRow),
        (PaymentsState, "unmatched", PaymentRow),
        (PaymentsState, "unmatched_other", PaymentRow),
        (ContractsListState, "rows", ContractRow),
        (DealContractsState, "deal_rows", ContractRow),
        (QuotesListState, "quotes", QuoteRow),
        (LeadsState, "rows", LeadRow),
    ]


def test_each_state_sends_its_typed_rows_as_the_old_dicts():
    """The whole state's JSON (what Reflex sends the browser) with typed rows and with the same
    rows as plain dicts (the old type) is the same."""
    import l2c_app.l2c_app  # noqa: F401  (the app's states, as the server builds them)

    for state_cls, var, row_type in _states():
        old = {k: SAMPLE.get(k, f"{k} value") for k in OLD_KEYS[row_type].split()}
        typed, plain = state_cls(_reflex_internal_init=True), state_cls(_reflex_internal_init=True)
        setattr(typed, var, [row_type(**old)])
        plain.__dict__[var] = [old]  # the old shape, past the typed var's setter check
        assert json_dumps(typed.dict()) == json_dumps(plain.dict()), (state_cls.__name__, var)
        assert state_cls.get_fields()[var].outer_type_ == list[row_type]
