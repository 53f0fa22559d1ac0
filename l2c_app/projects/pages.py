"""Pages of the projects stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/projects', 'Projects', 'projects')
def projects_page() -> rx.Component:
    return empty_state('folder-kanban', 'No projects yet',
                       'A signed contract becomes a project in one click: its quote lines become the plan.')


@app_page('/time', 'Time', 'time')
def time_page() -> rx.Component:
    return empty_state('clock', 'No time logged yet',
                       'Your weekly time grid appears here once you are on a project.')
