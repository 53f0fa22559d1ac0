"""Pages of the quotes stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/quotes', 'Quotes', 'quotes')
def quotes_page() -> rx.Component:
    return empty_state('file-text', 'No quotes yet',
                       'Open a deal and choose New quote to build a proposal from the catalog.')
