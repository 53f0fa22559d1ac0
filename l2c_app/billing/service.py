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
"""

from __future__ import annotations

from l2c_app.billing.billable import (  # noqa: F401  (re-exported)
    NO_TAX,
    Candidate,
    _add_months,
    _cand,
    _grouped_time,
    _hours,
    _itemised_time,
    _other_candidates,
    _project,
    _tax_map,
    _time_filter,
    ensure_retainer_periods,
    live_link,
    unbilled_candidates,
    unbilled_total,
)
from l2c_app.billing.common import (  # noqa: F401  (re-exported)
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
from l2c_app.billing.draft_lines import (  # noqa: F401  (re-exported)
    add_manual_line,
    remove_line,
    removed_line_json,
    removed_lines,
    restore_line,
)
from l2c_app.billing.drafting import (  # noqa: F401  (re-exported)
    _bill_project,
    _deduct_deposits,
    _insert_lines,
    _line_tax,
    _link_time_groups,
    _new_invoice,
    _write_invoice,
    build_client_invoice,
    build_invoice,
    client_candidates,
    client_projects_to_bill,
    contract_value,
    create_deposit_invoice,
    project_key,
)
from l2c_app.billing.invoice_links import (  # noqa: F401  (re-exported)
    add_invoice_event,
    bills_project,
    invoice_deal_ids,
    invoice_project_ids,
    line_sections,
    project_names,
    spanned_project_names,
)
from l2c_app.billing.invoice_totals import (  # noqa: F401  (re-exported)
    _apply_rate_tax,
    _get_invoice,
    _recompute_totals,
    lines_of,
    tax_label,
    tax_split,
)
from l2c_app.billing.issuing import (  # noqa: F401  (re-exported)
    emit_invoice,
    issue_invoice,
    next_number,
)

# Read from here by callers since before the split (billing.service.SYSTEM, .Invoice).
from l2c_app.billing.models import Invoice  # noqa: F401
from l2c_app.billing.payment_status import (  # noqa: F401  (re-exported)
    _LEDGER,
    _LOCK_INVOICE,
    _UPDATE_INVOICE,
    AUDIT_INSERT,
    INVOICE_ROW,
    Ledger,
    _deactivate_link_quietly,
    _per_payment,
    _status_for,
    _sync_credit,
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
from l2c_app.billing.queries import (  # noqa: F401  (re-exported)
    DELIVERY_LABEL,
    STATE_LABEL,
    billed_sources_total,
    invoice_by_token,
    invoice_json,
    state_label,
)
from l2c_app.billing.reversals import (  # noqa: F401  (re-exported)
    _release_sources,
    credit_note,
    void_invoice,
)
from l2c_app.core.audit import SYSTEM  # noqa: F401
