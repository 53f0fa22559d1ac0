"""Settings' Tax rounding card: tax per line or per rate, for every document."""

from __future__ import annotations

import reflex as rx

from l2c_app.core.lines import PER_LINE, PER_RATE, TAX_CONVENTIONS
from l2c_app.ui.admin_state import SettingsState
from l2c_app.ui.layout import field_label


def tax_rounding_card() -> rx.Component:
    """Tax per line or per rate, for every document."""
    return rx.card(
        rx.vstack(
            rx.heading("Tax rounding", size="3"),
            field_label(
                "How tax is computed on every document",
                rx.select.root(
                    rx.select.trigger(aria_label="How tax is computed on every document"),
                    rx.select.content(
                        rx.select.item("Tax per line (default)", value=PER_LINE),
                        rx.select.item("Tax per rate on the document (EN 16931)", value=PER_RATE),
                    ),
                    value=SettingsState.tax_convention,
                    on_change=SettingsState.save_tax_convention,
                ),
            ),
            rx.text(
                rx.cond(SettingsState.tax_convention == PER_RATE, TAX_CONVENTIONS[PER_RATE], TAX_CONVENTIONS[PER_LINE]),
                " Quotes, contracts, change orders, invoices and credit notes all use it.",
                size="2",
                color_scheme="gray",
            ),
            width="100%",
        ),
        width="100%",
    )
