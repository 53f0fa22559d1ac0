"""Change-order envelopes under DocuSign's polling limit ("eSignature API rules and resource
limits": one GET per envelope per 15 minutes), against the stand-in through the real SDK."""

from __future__ import annotations

from datetime import timedelta

from l2c_app.contracts.service import repoll_all
from l2c_app.integrations import models as provider_models
from l2c_app.projects.models import ChangeOrder

from .test_change_order_docusign import docusign, fresh, project, sent_co  # noqa: F401  (fixtures)


def test_change_order_envelopes_are_polled_once_per_15_minutes(
    session,
    world,
    project,  # noqa: F811
    sent_co,  # noqa: F811
    docusign,  # noqa: F811
    monkeypatch,
):
    now = [1_800_000_000.0]
    monkeypatch.setattr(provider_models, "_now", lambda: now[0])
    docusign.clock = lambda: now[0]
    co = fresh(session, sent_co.id)
    co.created_at = co.created_at - timedelta(hours=30)
    session.add(co)
    session.commit()
    for _ in range(4):  # four job runs a minute apart: one GET (it was four before)
        repoll_all(session)
        session.commit()
        now[0] += 60
    gets = [r for r in docusign.requests if r[0] == "GET" and r[1].endswith(co.envelope_id)]
    assert len(gets) == 1 and docusign.poll_violations == 0
    now[0] += 15 * 60
    docusign.envelopes[co.envelope_id].status = "completed"  # its Connect message was lost
    assert repoll_all(session) == [(f"change order {co.id}", "completed")]
    session.commit()
    assert fresh(session, co.id).status == "approved" and docusign.poll_violations == 0
    _ = ChangeOrder
