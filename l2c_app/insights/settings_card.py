"""Settings > Insights: when each leak counts, and the daily digest e-mail (insights.settings)."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.db import run_db
from l2c_app.core.errors import DomainError, ui_message
from l2c_app.insights import settings as insights
from l2c_app.ui.guard import guard
from l2c_app.ui.layout import error_callout, field_label
from l2c_app.ui.session import AuthState


class InsightsSettingsState(AuthState):
    lead_days: str = ""
    draft_days: str = "7"
    grace_days: str = "0"
    digest: bool = True
    insights_error: str = ""
    insights_error_field: str = ""

    @rx.event
    @guard("settings")
    async def load(self):
        cfg = await run_db(insights.insights_settings)
        lead = cfg["insights_lead_days"]
        self.lead_days = "" if lead is None else str(lead)
        self.draft_days, self.grace_days = str(cfg["insights_draft_days"]), str(cfg["insights_overdue_grace_days"])
        self.digest, self.insights_error, self.insights_error_field = cfg["insights_digest"], "", ""

    @rx.event
    def set_lead_days(self, value: str):
        self.lead_days = value

    @rx.event
    def set_draft_days(self, value: str):
        self.draft_days = value

    @rx.event
    def set_grace_days(self, value: str):
        self.grace_days = value

    @rx.event
    def set_digest(self, value: bool):
        self.digest = bool(value)

    @rx.event
    @guard("settings")
    async def save(self):
        values = {
            "insights_lead_days": self.lead_days,
            "insights_draft_days": self.draft_days,
            "insights_overdue_grace_days": self.grace_days,
            "insights_digest": self.digest,
        }
        try:
            await run_db(insights.save_insights_settings, self._actor(), values)
        except DomainError as exc:
            self.insights_error, self.insights_error_field = ui_message(exc), exc.field or ""
            return None
        self.insights_error, self.insights_error_field = "", ""
        return rx.toast.success("Insights settings saved.")


S = InsightsSettingsState


def _days_input(label: str, value, on_change, field: str, hint: str, placeholder: str = "") -> rx.Component:
    return field_label(
        label,
        rx.input(
            value=value,
            on_change=on_change,
            input_mode="numeric",
            placeholder=placeholder,
            aria_invalid=rx.cond(S.insights_error_field == field, "true", "false"),
        ),
        hint,
    )


def insights_settings_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Insights", size="3"),
            rx.text(
                "When each money leak starts to count on the Insights page, and the daily digest of leaks.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(S.insights_error),
            rx.grid(
                _days_input(
                    "Days before a new lead counts as untouched",
                    S.lead_days,
                    S.set_lead_days,
                    "insights_lead_days",
                    "1 to 365. Empty: the pipeline's stale days if set, else 3.",
                    "3",
                ),
                _days_input(
                    "Days before a draft invoice counts as forgotten",
                    S.draft_days,
                    S.set_draft_days,
                    "insights_draft_days",
                    "1 to 365.",
                ),
                _days_input(
                    "Grace days after the due date",
                    S.grace_days,
                    S.set_grace_days,
                    "insights_overdue_grace_days",
                    "0 to 365. An invoice counts as overdue this many days after its due date.",
                ),
                columns={"initial": "1", "md": "3"},
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                rx.el.label(
                    rx.hstack(
                        rx.switch(checked=S.digest, on_change=S.set_digest),
                        rx.text("Send the daily leak digest", size="2", weight="medium"),
                        align="center",
                        spacing="2",
                    )
                ),
                rx.text(
                    "Once a day (the organisation's day) owners and admins get one e-mail with the leak counts, "
                    "their money and links. Nothing is sent on a day with no leaks.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            rx.button("Save Insights settings", on_click=S.save),
            width="100%",
            spacing="3",
        ),
        width="100%",
        on_mount=S.load,
    )
