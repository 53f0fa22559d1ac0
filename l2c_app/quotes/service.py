"""The quotes stage's use cases, one import away: each lives in the module named for what it does.

- `inputs`: limits, errors and the parsers shared by the UI, the API and the tests;
- `catalog`: tax rates and catalog items;
- `records`: creating, listing and totalling a quote;
- `builder`: lines, order, quote fields and headings (sections);
- `sending`: send, e-mail draft and revise;
- `public`: the client's answer by token (its threat model is in that module);
- `views`: one dict for the page, the PDF and the API;
- `templates`: duplicate and templates.

Callers keep `from l2c_app.quotes import service`; new code may import the module itself.
"""

from __future__ import annotations

from l2c_app.quotes.builder import (  # noqa: F401  (re-exported)
    LINE_FIELDS,
    QUOTE_FIELDS,
    add_line,
    add_section,
    check_line_amount,
    get_line,
    last_heading,
    move_line,
    move_line_to,
    outline,
    quote_sections,
    remove_line,
    remove_section,
    rename_section,
    reorder_lines,
    update_line,
    update_quote,
)
from l2c_app.quotes.catalog import (  # noqa: F401  (re-exported)
    create_catalog_item,
    create_tax_rate,
    get_catalog_item,
    get_tax_rate,
    list_catalog,
    list_tax_rates,
    remove_catalog_item,
    remove_tax_rate,
    restore_catalog_item,
    restore_tax_rate,
    update_catalog_item,
    update_tax_rate,
)
from l2c_app.quotes.inputs import (  # noqa: F401  (re-exported)
    BILLING_KINDS,
    CATALOG_KINDS,
    DEFAULT_VALID_DAYS,
    EDITABLE,
    LINE_VALUE_FIELDS,
    MAX_LINES,
    MAX_QUANTITY,
    NotFound,
    QuoteError,
    line_value,
    line_value_error,
    org_today,
    parse_date,
    parse_decimal,
    parse_minor,
    pct_str,
    public_url,
    qty_str,
    quote_label,
)
from l2c_app.quotes.public import (  # noqa: F401  (re-exported)
    accept_quote,
    decline_quote,
)
from l2c_app.quotes.records import (  # noqa: F401  (re-exported)
    create_quote_from_deal,
    effective_status,
    get_quote,
    line_input,
    list_quotes,
    quote_lines,
    quote_totals,
)
from l2c_app.quotes.sending import (  # noqa: F401  (re-exported)
    email_draft,
    revise_quote,
    send_quote,
)
from l2c_app.quotes.templates import (  # noqa: F401  (re-exported)
    create_quote_from_template,
    duplicate_quote,
    get_template,
    list_templates,
    save_as_template,
    template_json,
)
from l2c_app.quotes.views import (  # noqa: F401  (re-exported)
    catalog_json,
    currency_digits,
    deal_quotes,
    public_view,
    quote_view,
    tax_rate_json,
    totals_json,
)
