"""Pages of the pipeline, registered by importing their modules (in this order): the kanban
board, the deal page, the stage settings."""

from __future__ import annotations

from l2c_app.pipeline.board_page import BOARD_POLL_MS as BOARD_POLL_MS
from l2c_app.pipeline.board_page import pipeline_page as pipeline_page
from l2c_app.pipeline.deal_page import deal_page as deal_page
from l2c_app.pipeline.settings_page import pipeline_settings_page as pipeline_settings_page
