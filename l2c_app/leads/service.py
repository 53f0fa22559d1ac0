"""The leads stage's use cases, one import away: each lives in the module named for what it does.

- `common`: limits, statuses, `LeadError`, the capture result and the lead settings;
- `capture`: validation, assignment, dedupe and capturing a lead (form, API, import);
- `lifecycle`: qualify, disqualify, convert, merge, assign;
- `lists`: the list, its filters, the CSV export and the API's view of a lead;
- `notifications`: the bell;
- `csv_import`: parsing, mapping and importing leads and contacts from CSV.

Callers keep `from l2c_app.leads import service`; new code may import the module itself.
"""

from __future__ import annotations

from l2c_app.leads.capture import (  # noqa: F401  (re-exported)
    _context,
    _dedupe_statements,
    _last_owner_statement,
    _serialise_ip,
    _text,
    capture,
    choose_owner,
    email_domain,
    find_duplicate,
    org_owner,
    rate_limited,
    validate,
)
from l2c_app.leads.common import (  # noqa: F401  (re-exported)
    DEFAULT_CONSENT,
    DEFAULT_RATE_LIMIT,
    FREE_MAIL,
    LIMITS,
    OPEN_STATUSES,
    STATUSES,
    CaptureResult,
    LeadError,
    lead_settings,
    public_form_info,
    save_lead_settings,
)
from l2c_app.leads.csv_import import (  # noqa: F401  (re-exported)
    _GUESSES,
    CONTACT_FIELDS,
    IMPORT_FIELDS,
    MAX_IMPORT_ROWS,
    ImportChunk,
    _import_rows,
    errors_csv,
    guess_contact_mapping,
    guess_mapping,
    import_chunk,
    import_contacts_chunk,
    map_row,
    notify_import,
    parse_csv,
)
from l2c_app.leads.lifecycle import (  # noqa: F401  (re-exported)
    MERGE_FIELDS,
    assign,
    convert,
    disqualify,
    get_lead,
    merge,
    qualify,
)
from l2c_app.leads.lists import (  # noqa: F401  (re-exported)
    AGES,
    SORTS,
    _filtered,
    export_csv,
    lead_api_json,
    lead_row,
    list_leads,
    sources,
)
from l2c_app.leads.notifications import (  # noqa: F401  (re-exported)
    audit_lead_action,
    mark_read,
    notifications,
)
