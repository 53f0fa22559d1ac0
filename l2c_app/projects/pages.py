"""Pages of the delivery stage: projects, the weekly time grid, approvals, the client's
change-order page and the delivery settings. Each page is built in the module named for it;
this one registers their routes."""

from __future__ import annotations

from l2c_app.projects import approvals_page as _approvals
from l2c_app.projects import change_order_page as _change_order
from l2c_app.projects import detail_page as _detail
from l2c_app.projects import list_page as _list
from l2c_app.projects import settings_page as _settings
from l2c_app.projects import time_page as _time
from l2c_app.projects.state import (
    ApprovalState,
    ChangeOrderPublicState,
    DeliverySettingsState,
    ProjectsState,
    TimeState,
)
from l2c_app.ui.layout import app_page, public_page

projects_page = app_page("/projects", "Projects", "projects", on_load=ProjectsState.load_list)(_list.projects_page)
project_page = app_page("/projects/[project_id]", "Project", "projects", on_load=ProjectsState.load_detail)(
    _detail.project_page
)
time_page = app_page("/time", "Time", "time", on_load=TimeState.load)(_time.time_page)
approvals_page = app_page("/time/approvals", "Time approvals", "approve_time", on_load=ApprovalState.load)(
    _approvals.approvals_page
)
change_order_public_page = public_page(
    "/co/[token]", "Change order", on_load=ChangeOrderPublicState.load, portal_link=True
)(_change_order.change_order_public_page)
delivery_settings_page = app_page(
    "/settings/delivery", "Delivery settings", "settings", on_load=DeliverySettingsState.load
)(_settings.delivery_settings_page)
