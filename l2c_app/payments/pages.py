"""Pages of the payments stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/payments', 'Payments', 'payments')
def payments_page() -> rx.Component:
    return empty_state('credit-card', 'No payments yet',
                       'Payments recorded by hand or reconciled from Stripe appear here.')
