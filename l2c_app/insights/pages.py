"""Pages of the insights stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/insights', 'Insights', 'insights')
def insights_page() -> rx.Component:
    return empty_state('chart-line', 'Nothing to measure yet',
                       'Cycle times, forecast and revenue leaks appear once deals move through the pipeline.')
