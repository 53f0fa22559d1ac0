"""Contract text on screen: Markdown with raw HTML, math, links and images off, tables ruled as in the PDF."""

from __future__ import annotations

import reflex as rx

# Markdown tables (the scope) with visible rules, as in the PDF.
DOC_STYLE = {
    "& table": {"border_collapse": "collapse", "margin": "0.5em 0"},
    "& th, & td": {"border_bottom": "1px solid var(--gray-a6)", "padding": "0.3em 0.6em"},
}


def _link_as_text(*children, **_props) -> rx.Component:
    # The href is dropped: a contract links nowhere (the signer must not be sent off-site).
    return rx.el.span(*children)


def _no_image(*_children, **_props) -> rx.Component:
    # No <img>: the signing page loads nothing from outside (a tracker pixel would tell a third
    # party when and from where the client opened the contract).
    return rx.el.span()


# The Markdown subset of a contract (contracts/merge.py) has no links and no images.
DOCUMENT_COMPONENTS = {"a": _link_as_text, "img": _no_image}


def document_markdown(text) -> rx.Component:
    """Contract text as Markdown, never as HTML: it carries client-supplied data (company names
    from the public lead form), and rx.markdown renders raw HTML by default (rehype-raw), which
    would be stored XSS. Math is off too: "$1,000 and $2,000" is money, not LaTeX.

    Merged values arrive escaped (merge.escape_md), so they cannot form links or images; links and
    images are also rendered as plain text / nothing here, so not even the template can add one."""
    return rx.markdown(
        text, use_raw=False, use_math=False, use_katex=False, use_unwrap_images=False, component_map=DOCUMENT_COMPONENTS
    )
