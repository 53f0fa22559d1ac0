"""Pages of the leads stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/leads', 'Leads', 'leads')
def leads_page() -> rx.Component:
    return empty_state('inbox', 'No leads yet',
                       'Leads arrive here from the public contact form at /contact and from the API (POST /api/v1/leads). Each one gets an owner at once.')
