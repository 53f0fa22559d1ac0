"""axe-core (WCAG 2.0/2.1 A and AA rules) in the browser tests: `assert_accessible(page)` fails
on any critical or serious violation, naming the rule, the element and how to fix it.

axe-core comes with `axe-playwright-python` (its axe.min.js is injected into the page)."""

from __future__ import annotations

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")


def violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return [v for v in result.response["violations"] if v.get("impact") in BLOCKING]


def describe(found: list[dict], where: str) -> list[str]:
    out = []
    for v in found:
        nodes = "; ".join(
            " ".join(n["target"][:1]) + " (" + (n.get("failureSummary") or "").replace("\n", " ")[:160] + ")"
            for n in v["nodes"][:3]
        )
        out.append(f"{where}: {v['impact']} {v['id']} x{len(v['nodes'])}: {nodes}")
    return out


def assert_accessible(page, where: str = "") -> None:
    found = violations(page)
    assert not found, "\n".join(describe(found, where or page.url))
