"""CSV cells that a spreadsheet will not run as a formula (CSV injection).

Threat model: exported cells hold text from the public lead form and from imports. Excel,
LibreOffice and Google Sheets start a formula on `=`, `+`, `-`, `@`, and some also on a
tab, a carriage return, `;` or `|` (DDE in older Excel); fullwidth forms such as `＝`
are folded to their ASCII twin by some of them, and leading spaces are skipped. A cell whose
first meaningful character is any of these gets a leading apostrophe, which every
spreadsheet shows as text.
"""

from __future__ import annotations

import unicodedata

FORMULA_STARTS = frozenset("=+-@;|\t\r\n%")


def safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value:
        return value
    first = unicodedata.normalize("NFKC", value.lstrip(" \u00a0\u3000")[:1] or value[:1])
    if value[:1] in FORMULA_STARTS or first[:1] in FORMULA_STARTS:
        return "'" + value
    return value
