"""Delivery: limits, errors and the two lookups every delivery module uses. `DeliveryError` is a
message a person can act on; `field` names the input and `link` where to go instead. Services
leave committing to the caller.
"""

from __future__ import annotations

from sqlmodel import Session

from l2c_app.core.errors import DomainError, Kind
from l2c_app.core.lines import time_amount
from l2c_app.projects.models import Project

BURN_WARNING = 80  # percent
BURN_OVER = 100
APPROVER_ROLES = ("owner", "admin", "billing")  # besides the project's lead


class DeliveryError(DomainError):
    """A user-facing message; `field` names the input it is about; `link` where to go instead."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        kind: Kind | None = None,
        link: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message, field, kind=kind, code=code)
        self.link = link


class AlreadyConverted(DeliveryError):
    default_kind = "conflict"

    def __init__(self, project: Project):
        super().__init__(f"This already became the project “{project.name}”.", link=f"/projects/{project.id}")
        self.project_id = project.id

    def error_json(self) -> dict:
        return {**super().error_json(), "project_id": self.project_id, "url": self.link}

    def as_json(self) -> dict:
        # `detail` stays the object API clients already read the existing project from.
        return {
            "detail": {"message": self.message, "project_id": self.project_id, "url": self.link},
            "error": self.error_json(),
        }


class NotFound(DeliveryError):
    default_kind = "not_found"

    def __init__(self, what: str, field: str | None = None):
        super().__init__(f"{what} not found.", field=field)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("Project", "project_id")
    return project


def _time_money(minutes: int, rate_minor: int) -> int:
    """Money of one time entry: minutes x hourly rate / 60, rounded once, half-up."""
    return time_amount(minutes, rate_minor)
