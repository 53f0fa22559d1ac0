"""A form field, one way: its label wraps the control (so screen readers and tests find it by
name), a hint and the field's error below, outside the label (the name stays the label's text)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_error(message: Any) -> rx.Component:
    """A field's error (a Var; empty shows nothing), announced when it appears."""
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="1", role="alert"))


def field(
    text: Any, control: rx.Component, hint: str | None = None, error: Any = None, block: bool = False
) -> rx.Component:
    """Label + control + optional hint + optional field error (a Var holding the message).
    `block`: the label is a block, so a wide control (a long text area) fills its card."""
    control.style.setdefault("width", "100%")
    label = rx.el.label(
        rx.vstack(rx.text(text, size="2", weight="medium"), control, spacing="1", width="100%"), width="100%"
    )
    if block:
        label.style.update({"display": "block", "width": "100%"})
    extra: list[rx.Component] = []
    if hint is not None:
        extra.append(rx.text(hint, size="1", color_scheme="gray"))
    if error is not None:
        extra.append(field_error(error))
    if not extra:
        return label
    return rx.vstack(label, *extra, spacing="1", width="100%")


def field_label(text: Any, control: rx.Component, hint: str | None = None) -> rx.Component:
    """The older name of `field` without an error (kept: every stage calls it)."""
    return field(text, control, hint)
