"""Each organisation setting has one owner: one stage declares its default and saves it.

`time_approval_required` once had two owners (delivery and billing), each with its own
default and its own save; a change on one page could disagree with the other's default.
"""

import ast
import pathlib

from l2c_app.billing import service as billing
from l2c_app.projects import service as projects

ROOT = pathlib.Path(__file__).resolve().parents[1] / "l2c_app"


def test_no_setting_has_two_defaults():
    owners: dict[str, list[str]] = {}
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            named = getattr(node, "targets", [getattr(node, "target", None)])
            targets = [t.id for t in named if isinstance(t, ast.Name)]
            if "DEFAULT_SETTINGS" in targets and isinstance(node.value, ast.Dict):
                for key in node.value.keys:
                    if isinstance(key, ast.Constant):
                        owners.setdefault(key.value, []).append(path.relative_to(ROOT).as_posix())
    assert owners, "no DEFAULT_SETTINGS found: the scan is broken"
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_billing_reads_the_approval_rule_delivery_saved(session):
    from l2c_app.core.audit import SYSTEM
    from tests.billing.factory import World

    World(session)
    projects.save_delivery_settings(session, SYSTEM, time_approval_required=False, auto_project_on_signature=False)
    assert billing.billing_settings(session)["time_approval_required"] is False
    billing.save_billing_settings(session, SYSTEM, {"time_approval_required": True, "itemise_time": True})
    assert projects.delivery_settings(session)["time_approval_required"] is False  # billing does not save it
    assert billing.billing_settings(session)["itemise_time"] is True
