"""Use cases of the pipeline, one import away: a facade over the modules that hold them, so
callers keep writing `service.X`.

- `stages`: the stages, the error type, shared input parsing, the stale-deal setting;
- `deals`: create, move (every move goes through `move_deal`), won/lost, edit, hand over, activities;
- `board_read`: the board's columns and its version fingerprint;
- `deal_reads`: the deal page's reads and the team list; `my_day`: the "My day" lists.
"""

from __future__ import annotations

from l2c_app.pipeline.board_read import board, board_version
from l2c_app.pipeline.deal_reads import _aware, deal_detail, team_options, timeline
from l2c_app.pipeline.deals import (
    EDITABLE,
    _can_own,
    _deal_owner_ok,
    _effective_probability,
    _org_owner_id,
    _user_ok,
    add_activity,
    contact_of_account,
    create_deal,
    deal_json,
    get_deal,
    mark_lost,
    mark_won,
    move_deal,
    reassign,
    set_task_done,
    update_deal,
)
from l2c_app.pipeline.my_day import my_day
from l2c_app.pipeline.stages import (
    ACTIVITY_KINDS,
    DEFAULT_STAGES,
    DEFAULT_STALE_DAYS,
    PipelineError,
    _parse_date,
    _parse_int,
    closing_stage,
    ensure_stages,
    first_open_stage,
    open_stages,
    save_stages,
    set_stale_days,
    stages_json,
    stale_days,
)

__all__ = [
    "ACTIVITY_KINDS",
    "DEFAULT_STAGES",
    "DEFAULT_STALE_DAYS",
    "EDITABLE",
    "PipelineError",
    "_aware",
    "_can_own",
    "_deal_owner_ok",
    "_effective_probability",
    "_org_owner_id",
    "_parse_date",
    "_parse_int",
    "_user_ok",
    "add_activity",
    "board",
    "board_version",
    "closing_stage",
    "contact_of_account",
    "create_deal",
    "deal_detail",
    "deal_json",
    "ensure_stages",
    "first_open_stage",
    "get_deal",
    "mark_lost",
    "mark_won",
    "move_deal",
    "my_day",
    "open_stages",
    "reassign",
    "save_stages",
    "set_stale_days",
    "set_task_done",
    "stages_json",
    "stale_days",
    "team_options",
    "timeline",
    "update_deal",
]
