"""The one native <select> of the app: labels, keyboards, forms and Playwright all work with it,
and it looks like the theme's text fields (same height, border, font size) on every page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

# One look for every select (issue 12): the height and font size of a Radix size-2 text field.
SELECT_STYLE: dict[str, str] = {
    "padding": "0.4em",
    "border_radius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "min_height": "2em",
    "font_size": "var(--font-size-2)",
}

Option = str | tuple[str, str]
Pick = str | Callable[[Any], Any]


def _pick(item: Any, how: Pick) -> Any:
    return how(item) if callable(how) else item[how]


def native_select(
    options: Sequence[Option] = (),
    name: str | None = None,
    default: str | None = None,
    label: str | None = None,
    *,
    dynamic: Any = None,
    option_value: Pick = "id",
    option_label: Pick = "name",
    **props: Any,
) -> rx.Component:
    """A native <select>. `options`: static ones first, each a value (shown as is) or a
    (value, text) pair; `dynamic`: a list Var from the state, each item's value and text picked
    by key (or a function of the item). `label` becomes its aria-label (a wrapping <label> would
    add the chosen option to the name). An uncontrolled select of static options starts at
    `default`, else at its first option; pass `value=`/`on_change=` for a controlled one."""
    pairs = [(o, o) if isinstance(o, str) else o for o in options]
    children: list[Any] = [rx.el.option(text, value=value) for value, text in pairs]
    if dynamic is not None:
        children.append(
            rx.foreach(dynamic, lambda o: rx.el.option(_pick(o, option_label), value=_pick(o, option_value)))
        )
    if label:
        props["aria_label"] = label
    if name is not None:
        props["name"] = name
    if "value" not in props and "default_value" not in props:
        if default is not None:
            props["default_value"] = default
        elif pairs and dynamic is None:
            props["default_value"] = pairs[0][0]
    style = {**SELECT_STYLE, **props.pop("style", {})}
    return rx.el.select(*children, style=style, **props)


select = native_select
