"""The billing stage's use cases, one import away: each lives in the module named for what it does.

- `common`: limits, `BillingError`, the SQLite write lock, billing settings;
- `billable`: what is billable (the candidates of a project up to a day, unbilled totals);
- `drafting`: building a draft from the work record (one project or one client's), deposits;
- `invoice_totals`: an invoice's tax and totals, its lines;
- `draft_lines`: removing, restoring and adding lines on a draft;
- `issuing`: numbering and issuing;
- `reversals`: void and credit notes (they free the billed sources);
- `payment_status`: the ledger of an invoice, its status after money moves, manual payments;
- `invoice_links`: the projects and deals an invoice bills, its deal-timeline events;
- `queries`: reads for the pages and the API.

Money rules (see core/money.py):
- every amount is integer minor units in the project's currency;
- a line is rounded once, half-up (`round_minor`), when it is built; its tax too;
- a grouped time line's amount is round(sum(minutes x rate) / 60); the billed-source
  links of its entries carry floor(minutes x rate / 60) each and the group's last entry
  takes the remainder, so the links of an invoice always add up to its subtotal;
- a source (time entry, milestone, change order, retainer period, expense, deposit
  deduction) is billed at most once: `BilledSource`'s partial unique index
  (source_type, source_id) WHERE released_at IS NULL is the rule in the database.
  Voiding or crediting sets `released_at`, which frees the source.

Callers keep `from l2c_app.billing import service`; new code may import the module itself.
Only the public use cases (and the stage's public constants) are here: a private helper
(`_get_invoice`, `_line_tax` ...) is imported from the module that defines it, `SYSTEM`
from core.audit, `Invoice` from billing.models. Every use case that writes takes
`(session, actor, ...)`, actor required (tests/billing/test_actor_first.py).
"""

from __future__ import annotations

from l2c_app.billing.billable import (
    NO_TAX,
    Candidate,
    ensure_retainer_periods,
    live_link,
    unbilled_candidates,
    unbilled_total,
)
from l2c_app.billing.common import (
    DEFAULT_CREDIT_PATTERN,
    DEFAULT_PATTERN,
    DEFAULT_SETTINGS,
    MANUAL_METHODS,
    OPEN_STATUSES,
    TERMS,
    BillingError,
    begin_write,
    billing_settings,
    save_billing_settings,
    validate_pattern,
)
from l2c_app.billing.draft_lines import (
    add_manual_line,
    remove_line,
    removed_line_json,
    removed_lines,
    restore_line,
)
from l2c_app.billing.drafting import (
    build_client_invoice,
    build_invoice,
    client_candidates,
    client_projects_to_bill,
    contract_value,
    create_deposit_invoice,
    project_key,
)
from l2c_app.billing.invoice_links import (
    add_invoice_event,
    bills_project,
    invoice_deal_ids,
    invoice_project_ids,
    line_sections,
    project_names,
    spanned_project_names,
)
from l2c_app.billing.invoice_totals import (
    lines_of,
    tax_label,
    tax_split,
)
from l2c_app.billing.issuing import (
    emit_invoice,
    issue_invoice,
    next_number,
)
from l2c_app.billing.payment_status import (
    AUDIT_INSERT,
    INVOICE_ROW,
    Ledger,
    after_payment,
    amount_due,
    ledger,
    lock_invoice_row,
    match_payment,
    net_paid,
    open_amount,
    open_minor_sql,
    recompute_status,
    recompute_status_row,
    record_manual_payment,
)
from l2c_app.billing.queries import (
    DELIVERY_LABEL,
    STATE_LABEL,
    billed_sources_total,
    invoice_by_token,
    invoice_json,
    state_label,
)
from l2c_app.billing.reversals import (
    credit_note,
    void_invoice,
)

__all__ = [
    "AUDIT_INSERT",
    "BillingError",
    "Candidate",
    "DEFAULT_CREDIT_PATTERN",
    "DEFAULT_PATTERN",
    "DEFAULT_SETTINGS",
    "DELIVERY_LABEL",
    "INVOICE_ROW",
    "Ledger",
    "MANUAL_METHODS",
    "NO_TAX",
    "OPEN_STATUSES",
    "STATE_LABEL",
    "TERMS",
    "add_invoice_event",
    "add_manual_line",
    "after_payment",
    "amount_due",
    "begin_write",
    "billed_sources_total",
    "billing_settings",
    "bills_project",
    "build_client_invoice",
    "build_invoice",
    "client_candidates",
    "client_projects_to_bill",
    "contract_value",
    "create_deposit_invoice",
    "credit_note",
    "emit_invoice",
    "ensure_retainer_periods",
    "invoice_by_token",
    "invoice_deal_ids",
    "invoice_json",
    "invoice_project_ids",
    "issue_invoice",
    "ledger",
    "line_sections",
    "lines_of",
    "live_link",
    "lock_invoice_row",
    "match_payment",
    "net_paid",
    "next_number",
    "open_amount",
    "open_minor_sql",
    "project_key",
    "project_names",
    "recompute_status",
    "recompute_status_row",
    "record_manual_payment",
    "remove_line",
    "removed_line_json",
    "removed_lines",
    "restore_line",
    "save_billing_settings",
    "spanned_project_names",
    "state_label",
    "tax_label",
    "tax_split",
    "unbilled_candidates",
    "unbilled_total",
    "validate_pattern",
    "void_invoice",
]
