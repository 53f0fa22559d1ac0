"""The shared UI kit: one status badge, used by every stage instead of a local copy."""

import pathlib
import re

import reflex as rx

from l2c_app.ui.kit import status_badge

ROOT = pathlib.Path(__file__).resolve().parents[1] / "l2c_app"


def test_a_plain_status_gets_its_colour_and_label():
    html = str(status_badge("sent", {"sent": "blue"}, {"sent": "Sent"}))
    assert 'color:"blue"' in html and '"Sent"' in html


def test_an_unknown_status_falls_back_to_the_default_colour_and_its_own_text():
    html = str(status_badge("weird", {"sent": "blue"}, default="amber"))
    assert 'color:"amber"' in html and '"weird"' in html


def test_a_state_field_is_matched_in_the_browser():
    class _S(rx.State):
        status: str = "sent"

    html = str(status_badge(_S.status, {"sent": "blue", "failed": "red"}, {"sent": "Sent"}))
    assert '"blue"' in html and '"red"' in html and '"Sent"' in html


def test_no_stage_forks_its_own_status_badge():
    """A badge coloured by matching a status belongs in ui/kit (three copies had drifted)."""
    forks = []
    for path in ROOT.rglob("*.py"):
        if "ui/kit" in path.as_posix():
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"rx\.badge\(.*color_scheme=rx\.match\(", line):
                forks.append(f"{path.relative_to(ROOT)}:{n}")
    assert not forks, forks
