"""The delivery stage's use cases, one import away: each lives in the module named for what it does.

- `common`: limits, `DeliveryError`, the project lookup;
- `settings`: delivery settings and time rules (this stage owns `time_approval_required`);
- `conversion`: contract or deal -> project, and quote lines -> the plan (the money of the plan);
- `records`: reading a project, its budget, status, milestones, members, timeline;
- `time_entries`: the weekly grid, cells, locks and the timer;
- `approvals`: who approves time, and approving a week;
- `change_orders`: creating a change order, its price and tax, what is billable;
- `change_order_sending`: its PDF, the e-mail or the DocuSign envelope;
- `change_order_answers`: the client's answer by token, DocuSign's status and the re-poll.

Callers keep `from l2c_app.projects import service`; new code may import the module itself.
"""

from __future__ import annotations

from l2c_app.projects.approvals import (  # noqa: F401  (re-exported)
    approve_week,
    approvers_of,
    billable_time,
    can_approve,
    pending_approvals,
    self_approval_refusal,
    time_entry_json,
)
from l2c_app.projects.change_order_answers import (  # noqa: F401  (re-exported)
    apply_envelope_status,
    approve_change_order,
    approve_change_order_by_token,
    change_order_by_token,
    change_order_for_envelope,
    decline_change_order,
    decline_change_order_by_token,
    public_change_order,
    repoll_change_orders,
    stalled_change_orders,
)
from l2c_app.projects.change_order_sending import (  # noqa: F401  (re-exported)
    CO_BODY,
    CO_SUBJECT,
    change_order_email_draft,
    change_order_pdf,
    send_change_order,
)
from l2c_app.projects.change_orders import (  # noqa: F401  (re-exported)
    billable_change_orders,
    change_order_json,
    change_order_total,
    create_change_order,
    default_change_order_tax,
)
from l2c_app.projects.common import (  # noqa: F401  (re-exported)
    APPROVER_ROLES,
    BURN_OVER,
    BURN_WARNING,
    AlreadyConverted,
    DeliveryError,
    NotFound,
)
from l2c_app.projects.conversion import (  # noqa: F401  (re-exported)
    add_quote_to_project,
    create_project_from_contract,
    create_project_from_deal,
    on_contract_signed,
    project_for_contract,
    quote_net_total,
    quote_plan_amounts,
    retainer_period_amount,
    set_retainer_email,
)
from l2c_app.projects.records import (  # noqa: F401  (re-exported)
    PROJECT_STATUSES,
    add_member,
    budget_report,
    list_projects,
    mark_milestone_reached,
    planned_total,
    project_detail,
    project_timeline,
    projects_of_deal,
    quotes_to_add,
    ready_contracts,
    set_project_status,
    team_options,
)
from l2c_app.projects.settings import (  # noqa: F401  (re-exported)
    DEFAULT_SETTINGS,
    FUTURE_LOCK,
    delivery_settings,
    delivery_settings_of,
    future_day_refusal,
    save_delivery_settings,
    save_time_rules,
)
from l2c_app.projects.time_entries import (  # noqa: F401  (re-exported)
    CellResult,
    add_timer_minutes,
    day_total,
    is_locked,
    last_week_rows,
    parse_row_key,
    rate_for,
    row_key,
    searchable_rows,
    set_row_billable,
    upsert_time,
    user_projects_for_timer,
    week_grid,
)
