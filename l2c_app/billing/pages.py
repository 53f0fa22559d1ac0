"""Pages of the billing stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/invoices', 'Invoices', 'invoices')
def invoices_page() -> rx.Component:
    return empty_state('receipt', 'No invoices yet',
                       'Create an invoice from a project: approved time, milestones and change orders are proposed for you.')
