"""The Insights page: where money leaks, each figure a link to the records behind it."""

from __future__ import annotations

import reflex as rx

from l2c_app.insights.page_kit import intro, loading_state
from l2c_app.insights.state import InsightsState
from l2c_app.insights.tabs import insights_tabs
from l2c_app.ui.layout import app_page

F = InsightsState.figures
L = InsightsState.ledger


def headline(label: str, value, note, href: str) -> rx.Component:
    """One cycle figure: what it measures, the amount, and where its records are."""
    return rx.link(
        rx.card(
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.heading(value, size="6"),
                rx.text(note, size="1", color_scheme="gray"),
                spacing="1",
            ),
            width="100%",
            height="100%",
        ),
        href=href,
        underline="none",
        aria_label=label,
        width="100%",
    )


def record_list(rows) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            rows,
            lambda r: rx.hstack(
                rx.link(r["label"], href=r["href"], size="2", trim="both"),
                rx.spacer(),
                rx.text(r["detail"], size="1", color_scheme="gray", white_space="nowrap"),
                width="100%",
                align="center",
                spacing="3",
            ),
        ),
        spacing="1",
        width="100%",
    )


def leak_card(key: str, title: str, icon: str, measures, count, rows, all_clear: str, *, note=None) -> rx.Component:
    """A leak: what it measures, how many, how much money, how old its oldest record is, the
    records, and the one action that fixes it (a link to the page where it is done); or a
    check when all is well."""
    ok = count == "0"
    leak = L[key]
    return rx.el.section(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon(icon, size=18, color=rx.cond(ok, rx.color("grass", 10), rx.color("tomato", 10))),
                    rx.heading(title, size="3"),
                    rx.spacer(),
                    rx.cond(
                        ok,
                        rx.badge(rx.icon("circle-check", size=12), "All clear", color_scheme="grass", size="2"),
                        rx.badge(count, color_scheme="tomato", size="2", aria_label=f"{title}: count"),
                    ),
                    width="100%",
                    align="center",
                ),
                rx.text(measures, size="1", color_scheme="gray"),
                rx.cond(
                    ok,
                    rx.hstack(
                        rx.icon("circle-check", size=16, color=rx.color("grass", 10)),
                        rx.text(all_clear, size="2"),
                        align="center",
                        spacing="2",
                    ),
                    rx.vstack(
                        rx.hstack(
                            rx.cond(
                                leak["money"] != "", rx.heading(leak["money"], size="5", aria_label=f"{title}: money")
                            ),
                            rx.cond(
                                leak["age"] != "",
                                rx.badge(
                                    rx.icon("clock", size=12),
                                    leak["age"],
                                    color_scheme="amber",
                                    size="2",
                                    aria_label=f"{title}: age",
                                ),
                            ),
                            align="center",
                            spacing="3",
                            wrap="wrap",
                        ),
                        rx.text(note, size="2", weight="medium") if note is not None else rx.fragment(),
                        record_list(rows) if rows is not None else rx.fragment(),
                        rx.link(
                            rx.button(rx.icon("arrow-right", size=14), leak["action"], size="2"),
                            href=leak["href"],
                            aria_label=leak["action"],
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
            height="100%",
        ),
        aria_label=title,
        style={"width": "100%"},
    )


def dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading("This month's cycle", size="4"),
        rx.grid(
            headline("Pipeline open value", F["open"], F["open_count"] + " open deals, excl. tax", "/pipeline"),
            headline("Weighted pipeline", F["weighted"], "value × win probability", "/pipeline"),
            headline(
                "Won this month", F["won"], F["won_count"] + " deals won in " + F["month"] + ", excl. tax", "/pipeline"
            ),
            headline("Invoiced this month", F["invoiced"], "issued in " + F["month"], "/invoices"),
            headline(
                "Collected this month", F["collected"], "received in " + F["month"] + ", less refunds", "/payments"
            ),
            columns=rx.breakpoints(initial="1", sm="2", lg="5"),
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            rx.heading("Where money leaks", size="4"),
            rx.badge(F["leaks"] + " to look at", color_scheme=rx.cond(F["leaks"] == "0", "grass", "tomato")),
            align="center",
            spacing="3",
        ),
        rx.grid(
            leak_card(
                "unowned_leads",
                "Leads with no owner",
                "user-x",
                "Open leads (new or qualified) nobody is assigned to. Should always be 0.",
                F["unowned"],
                InsightsState.unowned_leads,
                "Every open lead has an owner.",
            ),
            leak_card(
                "stale_leads",
                "Untouched new leads",
                "hourglass",
                "New leads older than " + F["lead_days"] + " days that nobody has qualified, converted "
                "or worked on since.",
                F["stale_leads"],
                InsightsState.stale_leads,
                "Every new lead was picked up in time.",
            ),
            leak_card(
                "quotes",
                "Accepted quotes with no contract",
                "file-check",
                "The client said yes, but no contract was made from the quote and no project uses it.",
                F["quotes"],
                InsightsState.quotes,
                "Every accepted quote has its contract.",
            ),
            leak_card(
                "contracts",
                "Signed contracts with no project",
                "signature",
                "Signed (completed) contracts that no project was started from: work that is not planned. "
                "The money is the contract's value (its quote).",
                F["contracts"],
                InsightsState.contracts,
                "Every signed contract has its project.",
            ),
            leak_card(
                "unbilled",
                "Unbilled work",
                "receipt-text",
                "Approved billable time, reached milestones, approved change orders, due retainer months "
                "and expenses up to today that no live invoice bills yet.",
                F["unbilled_count"],
                InsightsState.unbilled,
                "All work done so far is invoiced.",
                note="Projects with the most to bill:",
            ),
            leak_card(
                "overdue",
                "Overdue invoices",
                "alarm-clock",
                rx.cond(
                    F["grace_days"] == "0",
                    "Sent or partially paid invoices past their due date, with what is still open.",
                    "Sent or partially paid invoices more than "
                    + F["grace_days"]
                    + " days past their due date, with what is still open.",
                ),
                F["overdue"],
                InsightsState.overdue,
                "No overdue invoices.",
                note="still open; the oldest is " + F["overdue_oldest"] + " overdue.",
            ),
            leak_card(
                "drafts",
                "Drafts never issued",
                "file-clock",
                "Draft invoices created more than " + F["draft_days"] + " days ago and still not issued.",
                F["drafts"],
                InsightsState.drafts,
                "No forgotten drafts.",
            ),
            leak_card(
                "unmatched",
                "Unmatched payments",
                "circle-help",
                "Money received with no invoice to put it on: the client still looks unpaid.",
                F["unmatched"],
                None,
                "Every payment is matched to its invoice.",
                note="Received and waiting for their invoice.",
            ),
            leak_card(
                "credit",
                "Overpayments and client credit",
                "piggy-bank",
                "Money clients paid above what their invoices ask, kept as their credit and not yet applied "
                "to a later invoice or refunded.",
                F["credit"],
                InsightsState.credits,
                "No client holds unused credit.",
                note="Written off so far: " + F["written_off"],
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@app_page("/insights", "Insights", "insights", on_load=InsightsState.load)
def insights_page() -> rx.Component:
    return rx.vstack(
        insights_tabs("/insights"),
        intro(
            "The gaps where small teams lose money, read from the records themselves. "
            "Every figure opens the records behind it.",
            InsightsState.load,
            InsightsState.loading,
        ),
        rx.cond(InsightsState.loaded, dashboard(), loading_state()),
        spacing="4",
        width="100%",
    )
