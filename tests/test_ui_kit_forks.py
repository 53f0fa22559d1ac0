"""Issue 12: one UI kit. A stage builds its selects, badges and select styles from ui/kit,
never from its own copy; read from the source, so a new fork fails here before review.

RAW_SELECT_BASELINE lists the modules still calling `rx.el.select` themselves; it may only shrink.
"""

import ast
import pathlib

import reflex as rx

from l2c_app.ui import kit

ROOT = pathlib.Path(__file__).resolve().parents[1] / "l2c_app"
KIT = ROOT / "ui" / "kit"
# insights/ was being reworked beside the kit: its one select moves in a follow-up.
RAW_SELECT_BASELINE = {"insights/margin_page.py"}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if KIT not in path.parents:
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def _calls(node: ast.AST, dotted: str) -> bool:
    return any(isinstance(n, ast.Call) and ast.unparse(n.func) == dotted for n in ast.walk(node))


def test_no_stage_defines_its_own_select_style_or_native_select():
    forks = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "SELECT_STYLE" for t in targets):
                    forks.append(f"{rel}: SELECT_STYLE")
            if isinstance(node, ast.FunctionDef) and node.name in ("native_select", "select"):
                forks.append(f"{rel}: def {node.name}")
    assert forks == [], f"use ui.kit.native_select instead: {forks}"


def test_a_stage_status_badge_builds_on_the_kit():
    """A stage may keep a `status_badge` that names its colours, but it calls kit.status_badge:
    its own rx.badge would be a second look for the same thing."""
    forks = [
        rel
        for rel, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.endswith("status_badge") and _calls(node, "rx.badge")
    ]
    assert forks == [], f"build on ui.kit.status_badge: {forks}"


def test_raw_selects_only_in_the_kit():
    raw = {rel for rel, tree in _modules() if _calls(tree, "rx.el.select")}
    assert raw <= RAW_SELECT_BASELINE, f"use ui.kit.native_select: {sorted(raw - RAW_SELECT_BASELINE)}"
    assert RAW_SELECT_BASELINE <= raw, f"moved to the kit, drop from the baseline: {RAW_SELECT_BASELINE - raw}"


def test_layout_names_still_import():
    from l2c_app.ui import layout

    assert layout.native_select is kit.native_select
    assert layout.field_label is kit.field_label
    assert layout.empty_state is kit.empty_state
    assert layout.error_callout is kit.error_callout


def test_kit_select_static_and_dynamic_options():
    class S(rx.State):
        items: list[dict[str, str]] = []

    out = str(kit.native_select([("", "Choose…"), "b"], name="x", label="Pick one", dynamic=S.items))
    assert '"aria-label":"Pick one"' in out
    assert 'jsx("option",{value:""},"Choose\\u2026")' in out and 'jsx("option",{value:"b"},"b")' in out
    assert "items" in out  # the dynamic options come from the state's list


def test_status_badge_flags_are_a_second_badge():
    one = str(kit.status_badge("paid", {"paid": "green"}))
    two = str(kit.status_badge("paid", {"paid": "green"}, flags=rx.Var.create("overdue")))
    assert one.count("RadixThemesBadge") == 1
    assert two.count("RadixThemesBadge") == 2


def test_radix_layouts_take_spacing_not_a_unitless_gap():
    """`rx.flex(gap="2")` renders the invalid CSS `gap: 2` (the browser drops it: no space at
    all); Radix's scale step is `spacing="2"`. Read from the source, kit included."""
    wrong = [
        f"{path.relative_to(ROOT).as_posix()}:{kw.lineno}"
        for path in sorted(ROOT.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("rx.flex", "rx.hstack", "rx.vstack", "rx.grid")
        for kw in node.keywords
        if kw.arg == "gap" and isinstance(kw.value, ast.Constant) and str(kw.value.value).isdigit()
    ]
    assert wrong == [], f'use spacing="N": {wrong}'
