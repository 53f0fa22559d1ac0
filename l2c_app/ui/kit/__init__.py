"""The shared UI kit: components every stage uses, so a stage never forks its own copy.

Start here before writing a badge, select, field, dialog, filter bar or table cell on a page;
add to it rather than beside it (tests/ui/test_kit_forks.py fails on a stage's own copy). A
stage's `ui_kit.py`/`page_kit.py` keeps only what is its own (its status colours, a card) and
builds on these. Each component takes Reflex Vars or plain values and holds no state.
"""

from l2c_app.ui.kit.badges import status_badge
from l2c_app.ui.kit.empty import empty_state
from l2c_app.ui.kit.field import field, field_error, field_label
from l2c_app.ui.kit.filter_bar import filter_bar, filter_item, search_input
from l2c_app.ui.kit.form_dialog import dialog_form, error_callout, form_actions, form_dialog
from l2c_app.ui.kit.money import money_cell, money_text
from l2c_app.ui.kit.select import SELECT_STYLE, native_select, select
from l2c_app.ui.kit.tables import KEEP_TABLE, data_table, list_table

__all__ = [
    "KEEP_TABLE",
    "SELECT_STYLE",
    "data_table",
    "dialog_form",
    "empty_state",
    "error_callout",
    "field",
    "field_error",
    "field_label",
    "filter_bar",
    "filter_item",
    "form_actions",
    "form_dialog",
    "list_table",
    "money_cell",
    "money_text",
    "native_select",
    "search_input",
    "select",
    "status_badge",
]
