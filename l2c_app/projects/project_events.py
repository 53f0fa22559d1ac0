"""The project pages' events: create a project from a contract, milestones, retainers, status,
quotes added to the plan, the team, and change orders (draft and send).

A Reflex mixin of `state.ProjectsState`: Reflex copies its handlers onto that state, so the
frontend still addresses them as ProjectsState's (`ProjectsState.mark_reached`)."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.db import run_db
from l2c_app.core.money import to_minor
from l2c_app.projects import service as svc
from l2c_app.projects.duration import DurationError
from l2c_app.ui.guard import guard


class ProjectEvents(rx.State, mixin=True):
    """Handlers only: the vars and helpers they use (`self.head`, `self._refresh`, ...) are ProjectsState's."""

    @rx.event
    @guard("projects")
    async def create_from_contract(self, contract_id: str):
        try:
            project = await run_db(svc.create_project_from_contract, self._actor(), int(contract_id))
        except svc.AlreadyConverted as exc:
            return [rx.toast.info(str(exc)), rx.redirect(exc.link)]
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        return [rx.toast.success(f"Project “{project.name}” created."), rx.redirect(f"/projects/{project.id}")]

    @rx.event
    @guard("projects")
    async def mark_reached(self, milestone_id: str):
        try:
            await run_db(svc.mark_milestone_reached, self._actor(), int(milestone_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("Milestone reached: it can now be invoiced.")

    @rx.event
    @guard("projects")
    async def set_retainer_email(self, retainer_id: str, on: bool):
        try:
            await run_db(svc.set_retainer_email, self._actor(), int(retainer_id), bool(on))
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success(
            "Monthly invoices of this retainer will be e-mailed to the client."
            if on
            else "Monthly invoices of this retainer will be issued, not e-mailed."
        )

    @rx.event
    @guard("projects")
    async def set_status(self, status: str):
        try:
            await run_db(svc.set_project_status, self._actor(), self.loaded_project, status)
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("Project status saved.")

    @rx.event
    @guard("projects")
    async def add_quote(self, quote_id: str):
        try:
            await run_db(svc.add_quote_to_project, self._actor(), self.loaded_project, int(quote_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._refresh(self.loaded_project)
        return rx.toast.success("The quote's lines were added to the plan.")

    @rx.event
    @guard("projects")
    async def save_member(self, form: dict):
        self.team_error = ""
        try:
            rate_text = (form.get("rate") or "").strip()
            rate = to_minor(rate_text, self.head.get("currency", "EUR")) if rate_text else None
            line = int(form["budget_line"]) if form.get("budget_line") else None
            await run_db(svc.add_member, self._actor(), self.loaded_project, int(form.get("user") or 0), line, rate)
        except (svc.DeliveryError, ValueError) as exc:
            self.team_error = str(exc)
            return None
        await self._refresh(self.loaded_project)
        return rx.toast.success("Team saved.")

    @rx.event
    def set_co_kind(self, kind: str):
        self.co_kind = kind

    @rx.event
    @guard("projects")
    async def create_change_order(self, form: dict):
        self.co_error = ""
        currency = self.head.get("currency", "EUR")
        try:
            if self.co_kind == "hours":
                kw = dict(
                    kind="hours",
                    minutes=form.get("hours") or "",
                    rate_minor=to_minor(form.get("rate") or "", currency),
                    role=form.get("role", ""),
                )
            else:
                kw = dict(kind="fixed", amount_minor=to_minor(form.get("amount") or "", currency))
            await run_db(
                svc.create_change_order,
                self._actor(),
                self.loaded_project,
                description=form.get("description", ""),
                **kw,
            )
        except (svc.DeliveryError, DurationError, ValueError) as exc:
            self.co_error = str(exc)
            return None
        await self._refresh(self.loaded_project)
        return rx.toast.success("Change order created. Send it to the client for approval.")

    @rx.event
    @guard("projects")
    async def send_change_order(self, change_order_id: str):
        try:
            co = await run_db(svc.send_change_order, self._actor(), int(change_order_id))
        except svc.DeliveryError as exc:
            return rx.toast.error(str(exc))
        await self._refresh(self.loaded_project)
        how = " as a DocuSign envelope" if co.provider == "docusign" else ": the client approves it from the link"
        return rx.toast.success(f"Change order #{co.number} sent{how}.")
