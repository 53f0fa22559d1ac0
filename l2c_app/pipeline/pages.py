"""Pages of the pipeline stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/pipeline', 'Pipeline', 'pipeline')
def pipeline_page() -> rx.Component:
    return empty_state('kanban', 'No deals yet',
                       'Convert a qualified lead to put its deal on the board.')
