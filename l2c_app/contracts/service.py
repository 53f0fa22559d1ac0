"""The contracts stage's use cases, one import away: each lives in the module named for what it does.

- `records`: statuses, errors, the audit trail and reading signers;
- `drafting`: create from an accepted quote or a deal, edit the draft, signers;
- `rendering`: the contract PDF (current, original or signed);
- `sending`: signing settings, the e-mail and sending for signature;
- `signing`: the signer's side of the public link (its threat model is in that module);
- `follow_up`: void, change a signer, re-send;
- `provider_status`: DocuSign's status (webhook and re-poll);
- `verification`: is this PDF the one we signed;
- `views`: read models for the pages and the API;
- `deliveries`: outbox deliveries run after commit.

Callers keep `from l2c_app.contracts import service`; new code may import the module itself.
"""

from __future__ import annotations

from l2c_app.contracts.deliveries import (  # noqa: F401  (re-exported)
    deliver_docusign_send,
    deliver_docusign_void,
)
from l2c_app.contracts.drafting import (  # noqa: F401  (re-exported)
    add_signer,
    create_from_deal,
    create_from_quote,
    remove_signer,
    update_draft,
)
from l2c_app.contracts.follow_up import (  # noqa: F401  (re-exported)
    change_signer,
    resend,
    void,
)
from l2c_app.contracts.provider_status import (  # noqa: F401  (re-exported)
    MIN_POLL_SECONDS,
    apply_provider_status,
    repoll,
    repoll_all,
    repoll_change_orders,
    stalled_docusign,
)
from l2c_app.contracts.records import (  # noqa: F401  (re-exported)
    FINAL,
    SIGNER_KINDS,
    SIGNING_KINDS,
    STATUSES,
    TOKEN_DAYS,
    ContractError,
    SigningLinkError,
    anchor_index,
    can_move,
    sha256_hex,
    signers_of,
    signing_signers,
)
from l2c_app.contracts.rendering import (  # noqa: F401  (re-exported)
    ROLE_LABEL,
    contract_pdf,
    render_pdf,
)
from l2c_app.contracts.sending import (  # noqa: F401  (re-exported)
    INVITE_BODY,
    INVITE_SUBJECT,
    email_draft,
    link_days,
    send,
    set_link_days,
    signing_settings,
)
from l2c_app.contracts.signing import (  # noqa: F401  (re-exported)
    SigningView,
    decline,
    open_for_signing,
    sign,
    signed_copy,
    signing_pdf,
)
from l2c_app.contracts.verification import (  # noqa: F401  (re-exported)
    Verification,
    verify_pdf,
)
from l2c_app.contracts.views import (  # noqa: F401  (re-exported)
    acceptable_quotes,
    contract_detail,
    contract_json,
    count_by_status,
    list_contracts,
)
