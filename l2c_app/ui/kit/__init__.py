"""The shared UI kit: components every stage uses, so a stage never forks its own copy.

Start here before writing a badge, select or table cell on a page; add to it rather than
beside it. Each component takes Reflex Vars or plain values and holds no state.
"""

from l2c_app.ui.kit.badges import status_badge
from l2c_app.ui.kit.tables import KEEP_TABLE, list_table

__all__ = ["KEEP_TABLE", "list_table", "status_badge"]
