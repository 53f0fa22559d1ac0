"""Delivery reacts to (in the transaction of the event, our own database only):

- contract.signed -> a project from the contract, when the organisation asked for it
  (setting `auto_project_on_signature`; `on_contract_signed` never raises for a contract that
  already has one). Before, the contracts stage called delivery directly.
"""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.events.bus import subscribe
from l2c_app.events.models import DomainEvent


def _project_on_signature(session: Session, event: DomainEvent) -> None:
    from l2c_app.projects.service import on_contract_signed

    on_contract_signed(session, event.payload["contract_id"])


subscribe("contract.signed", _project_on_signature)
