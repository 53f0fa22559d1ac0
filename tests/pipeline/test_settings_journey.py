"""Journey: the owner shapes the pipeline (renames a stage, adds one, sets stale days) and the
lead capture (consent text, who gets web leads); the board and the public form follow."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

import l2c_app.models  # noqa: F401  (every table, for the foreign keys)
from l2c_app.core.audit import SYSTEM
from l2c_app.leads import service as leads
from l2c_app.pipeline import service as pipeline
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def add_stage(page, name: str, order: str, probability: str) -> None:
    rows = page.get_by_label("Stage name")
    before = rows.count()
    page.get_by_role("button", name="Add a stage").click()
    expect(rows).to_have_count(before + 1)  # fill the new row, not the one that was last before
    rows.last.fill(name)
    page.get_by_label("Order").last.fill(order)
    page.get_by_label("Win probability %").last.fill(probability)


def test_owner_configures_stages_and_lead_capture(page, app_server):
    app = app_server
    tag = uuid.uuid4().hex[:4]
    sign_in(page, app, *app.ensure_owner())

    page.goto(f"{app.base_url}/settings/pipeline")
    expect(page.get_by_label("Stage name").first).to_have_value("New")
    add_stage(page, f"Discovery {tag}", "0", "15")
    page.get_by_label("Stale after (days without activity)").fill("21")
    page.get_by_role("button", name="Save pipeline settings").click()
    expect(page.get_by_text("Pipeline settings saved.")).to_be_visible()

    page.goto(f"{app.base_url}/pipeline")
    expect(page.get_by_role("region", name=f"Stage Discovery {tag}")).to_contain_text("(15 %)")

    page.goto(f"{app.base_url}/settings/leads")
    consent = page.get_by_label("Consent text")
    expect(consent).not_to_have_value("")  # the saved text has loaded: typing now is not overwritten
    consent.fill(f"Yes, contact me ({tag}).")
    page.get_by_text("Always the organisation's owner").click()
    page.get_by_role("button", name="Save lead settings").click()
    expect(page.get_by_text("Lead settings saved.")).to_be_visible()

    page.goto(f"{app.base_url}/contact")
    expect(page.get_by_text(f"Yes, contact me ({tag}).")).to_be_visible()

    with app.session() as s:
        assert pipeline.stale_days(s) == 21
        assert leads.lead_settings(s)["mode"] == "owner"
        # Put the stage back out of the way of the other journeys (they expect New first).
        rows = [r for r in pipeline.stages_json(s) if r["name"] == f"Discovery {tag}"]
        pipeline.save_stages(s, SYSTEM, [{**rows[0], "delete": True}])
        s.commit()
