"""A dialog holding one form: its title, its fields, the error of the last submit shown inside
it, a Cancel, and a submit button that names what it does and spins while the write runs."""

from __future__ import annotations

from typing import Any

import reflex as rx


def error_callout(message: Any) -> rx.Component:
    """An error (a Var; empty shows nothing) as a red callout, announced (role=alert)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )


def form_actions(
    submit_label: Any, loading: Any = False, on_cancel: Any = None, in_dialog: bool = True
) -> rx.Component:
    """Cancel (closes the dialog) and the submit button, right-aligned."""
    cancel = rx.button("Cancel", type="button", variant="soft", color_scheme="gray", on_click=on_cancel)
    return rx.hstack(
        rx.dialog.close(cancel) if in_dialog else cancel,
        rx.button(submit_label, type="submit", loading=loading),
        justify="end",
        width="100%",
    )


def dialog_form(
    *fields: rx.Component,
    on_submit: Any,
    submit_label: Any,
    error: Any = "",
    loading: Any = False,
    on_cancel: Any = None,
    in_dialog: bool = True,
    reset_on_submit: bool = False,
) -> rx.Component:
    """The form inside a form dialog (also usable alone): error, fields, Cancel + submit."""
    return rx.form(
        rx.vstack(
            error_callout(error),
            *fields,
            form_actions(submit_label, loading, on_cancel, in_dialog),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=reset_on_submit,
        width="100%",
    )


def form_dialog(
    title: Any,
    *fields: rx.Component,
    on_submit: Any,
    submit_label: Any,
    open: Any,
    on_open_change: Any,
    trigger: rx.Component | None = None,
    description: Any = None,
    error: Any = "",
    loading: Any = False,
    on_cancel: Any = None,
    max_width: str = "28em",
) -> rx.Component:
    """A controlled dialog (`open` a state var, `on_open_change` its setter) around one form.
    `title`: a text, a Var, or a tuple of them. `trigger`: the button that opens it (its
    on_click opens the dialog, or it is wrapped in rx.dialog.trigger)."""
    content: list[Any] = [rx.dialog.title(*title) if isinstance(title, tuple) else rx.dialog.title(title)]
    if description is not None:
        content.append(rx.dialog.description(description, size="2", color_scheme="gray"))
    content.append(
        dialog_form(
            *fields, on_submit=on_submit, submit_label=submit_label, error=error, loading=loading, on_cancel=on_cancel
        )
    )
    children: list[Any] = [] if trigger is None else [trigger]
    return rx.dialog.root(
        *children,
        rx.dialog.content(*content, max_width=max_width),
        open=open,
        on_open_change=on_open_change,
    )
