"""The one look of every l2c document (quote, contract, invoice): fpdf2 with an embedded
Unicode font (DejaVu, shipped in assets/fonts) so names like "Zoë Łukasiewicz" print.

    pdf = BrandedPDF(org_name="Acme Studio", title="Proposal Q-12 v2", logo=png_bytes_or_None)
    pdf.add_page()
    pdf.party_blocks(("From", ["Acme Studio"]), ("For", ["Client Ltd", "Jane Doe"]))
    pdf.table(["Description", "Qty", "Amount"], rows, widths=[110, 20, 50], aligns="LRR")
    pdf.totals([("Subtotal", "€1,000.00"), ("Total", "€1,200.00")])
    data = pdf.output_bytes()
"""

from __future__ import annotations

import bisect
import copy
import functools
import io
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import fpdf.fpdf
from fontTools import subset as ftsubset  # type: ignore[import-untyped]
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import Align, CharVPos, MethodReturnValue, WrapMode
from fpdf.errors import FPDFException
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR, FORM_FEED, NBSP, NEWLINE, SOFT_HYPHEN, Fragment, TextLine

from l2c_app.core.config import PROJECT_DIR

FONT_DIR = PROJECT_DIR / "assets" / "fonts"
ACCENT = (62, 99, 221)  # the theme's indigo
MUTED = (110, 110, 120)

# What most documents print: Latin with its extensions, general punctuation, currency signs and
# a few symbols. A document whose glyphs all lie here embeds its subset from this small font
# (711 glyphs instead of DejaVu's 6,000: the per-document subsetting is 4x cheaper); any other
# character (Greek, Cyrillic, Hebrew ...) makes that document subset the whole font instead.
WORKING_SET = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20C1),
    0x2116,
    0x2122,
    0x2190,
    0x2192,
    0x2212,
    0x2713,
    0x2717,
]


# fpdf/output.py _add_fonts: what fpdf2 drops when it subsets a font for a document.
_FPDF_DROPPED_TABLES = ["FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix"]
_FPDF_DROPPED_TABLES += ["CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR"]


@dataclass(frozen=True)
class _SharedFont:
    """One font file, parsed once per process. `template` holds what fpdf2 reads while laying
    out (cmap, widths, descriptor): it is only read, never changed. The font tables fpdf2
    subsets at output ARE changed in place by fontTools, so each document opens its own
    (lazily, from these bytes)."""

    template: TTFFont
    full: bytes
    small: bytes
    small_names: frozenset[str]


@functools.cache
def _shared_font(path: str, style: str) -> _SharedFont:
    probe = FPDF()
    probe.add_font("shared", style, path)
    template = probe.fonts[f"shared{style}"]
    assert isinstance(template, TTFFont)
    # _LineBreak and _DocumentFont add widths in any grouping: exact only for integers
    widths = cast(defaultdict[int, float], template.cw)
    assert all(type(w) is int for w in widths.values()) and widths.default_factory is not None
    assert type(widths.default_factory()) is int
    full = Path(path).read_bytes()
    options = ftsubset.Options(
        notdef_outline=True,
        recommended_glyphs=True,
        glyph_names=True,
        hinting=True,
        name_IDs=["*"],
        name_languages=["*"],
        layout_features=["*"],
    )
    # The tables fpdf2's own subsetting drops (fpdf/output.py _add_fonts) are dropped here too:
    # the layout tables (GSUB, GPOS, GDEF) were most of each document's subsetting and saving.
    options.drop_tables += _FPDF_DROPPED_TABLES
    font = ttLib.TTFont(io.BytesIO(full), recalcTimestamp=False)
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=WORKING_SET)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return _SharedFont(template, full, out.getvalue(), frozenset(font.getGlyphOrder()))


class _DocumentFont(TTFFont):
    """A document's copy of a shared font. Its one change: text widths are summed incrementally.
    fpdf2's line breaker asks for the width of a growing line once per character (a 300-line
    table made 58,000 calls, each summing the whole line again); the sum of the previous
    line's text is kept and only the new characters are added. Same integers, same sum."""

    __slots__ = ("_last_text", "_last_units")
    _last_text: str
    _last_units: float  # a sum of the integer widths fpdf2 keeps in `cw` (typed float there)

    def get_text_width(
        self, text: str, font_size_pt: float, text_shaping_params: dict[str, Any] | None
    ) -> tuple[int, float]:
        if text_shaping_params or self.is_symbol:
            return super().get_text_width(text, font_size_pt, text_shaping_params)
        if font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt
        width, last = self.cw.__getitem__, self._last_text  # sums by map(): the same sum, in C
        if len(text) < 3:  # one character's width (asked between two line widths): keep the line's sum
            return len(text), sum(map(width, map(ord, text))) * font_size_pt * 0.001
        if last and text.startswith(last):
            units = self._last_units + sum(map(width, map(ord, text[len(last) :])))
        else:
            units = sum(map(width, map(ord, text)))
        self._last_text, self._last_units = text, units
        return len(text), units * font_size_pt * 0.001


_PLAIN_LINE_BREAK = fpdf.fpdf.MultiLineBreak
_TOLERANCE = 1e-9  # fpdf.util.FloatTolerance
_BREAKING_SPACE = re.compile(f"[{re.escape(BREAKING_SPACE_SYMBOLS_STR)}]")


class _LineBreak:
    """fpdf2's line breaker (line_break.MultiLineBreak) for the one case l2c prints: a single
    run of text in one of our fonts, no markdown, shaping, soft hyphens or letter spacing,
    word wrap, a fixed width. fpdf2 adds the text character by character to a line object,
    asks the width of the whole line before each character and, at a line's end, goes back
    to its last space and adds those characters again; here the text's prefix widths are
    summed once (fpdf2's glyph widths are integers, so every sum is exact), a line's end is
    found by bisection and confirmed with fpdf2's own float test (width units x size x 0.001
    / k, against its tolerance), and each line is a slice of the text. The same decisions,
    the same floats, the same TextLine objects. Any other input goes to fpdf2's own."""

    def __new__(cls, fragments: Any, max_width: Any, margins: Any, *args: Any, **kwargs: Any) -> Any:
        if cls._fits(fragments, max_width, *args, **kwargs):
            return super().__new__(cls)
        return _PLAIN_LINE_BREAK(fragments, max_width, margins, *args, **kwargs)

    @staticmethod
    def _fits(
        fragments: Any,
        max_width: Any,
        align: Align = Align.L,
        print_sh: bool = False,
        wrapmode: WrapMode = WrapMode.WORD,
        line_height: float = 1.0,
        skip_leading_spaces: bool = False,
        first_line_indent: float = 0,
    ) -> bool:
        if len(fragments) != 1 or callable(max_width) or wrapmode != WrapMode.WORD:
            return False
        if line_height != 1.0 or skip_leading_spaces or first_line_indent:
            return False
        frag = fragments[0]
        font = frag.graphics_state.current_font
        return (
            type(frag) is Fragment
            and type(font) is _DocumentFont
            and not font.is_symbol
            and not frag.text_shaping_parameters
            and frag.char_spacing == 0
            and frag.font_stretching == 100
            and frag.char_vpos == CharVPos.LINE
            and not any(c in frag.characters for c in (SOFT_HYPHEN, NBSP, FORM_FEED))
        )

    def __init__(
        self, fragments: Any, max_width: float, margins: Any, align: Align = Align.L, *_: Any, **__: Any
    ) -> None:
        self._lines = self._break(fragments[0], max_width, [float(m) for m in margins], align)

    def get_line(self) -> TextLine | None:
        return next(self._lines, None)

    @staticmethod
    def _break(frag: Fragment, max_width: float, margins: list[float], align: Align) -> Any:
        font = frag.graphics_state.current_font
        assert isinstance(font, _DocumentFont)
        chars, size_pt, k, size = frag.characters, frag.font_size_pt, frag.k, frag.font_size
        if chars and size_pt > font.biggest_size_pt:  # what fpdf2's width calls record
            font.biggest_size_pt = size_pt
        text, width = "".join(chars), font.cw.__getitem__
        # Widths of the text's prefixes in font units (integers: sums of them are exact), the
        # positions of its breaking spaces and the position of each newline.
        cum = [0, *itertools.accumulate(map(width, map(ord, text)))]
        spaces = [m.start() for m in _BREAKING_SPACE.finditer(text)]
        last_align = Align.L if align == Align.J else align
        avail = max_width
        for margin in margins:
            avail -= margin
        read_height = size if size > _TOLERANCE else 0  # fpdf2's current_font_height once a character is read
        # fpdf2 ends a line before the character j where, in floats,
        # width(line) + width(j) - avail > tolerance; no character whose prefix is this many
        # units short of that can end a line (float error is far below a millionth of a unit)
        per_unit = size_pt * 0.001 / k
        short_of = (avail + _TOLERANCE) / per_unit - 1e-6
        n, i, forced_before = len(text), 0, -1

        def line(start: int, end: int, how: Align, height: float, nl: bool = False) -> TextLine:
            spaced = bisect.bisect_left(spaces, end) - bisect.bisect_left(spaces, start)
            if added:
                parts = [frag.clone(characters=chars[start:end], link=frag.link)]
                line_width: float = 0 + (cum[end] - cum[start]) * size_pt * 0.001 / k
            else:
                parts, line_width = [], 0
            return TextLine(parts, line_width, spaced, how, height, max_width - 0, trailing_nl=nl)

        while i < n:
            forced, forced_before = forced_before, -1
            start = i
            newline = text.find(NEWLINE, start)
            stop = n if newline < 0 else newline  # the characters this line may take
            j = bisect.bisect_right(cum, cum[start] + short_of, start + 1, stop + 1) - 1
            while j < stop:  # the exact test, from the first character that may end the line
                units = cum[j] - cum[start]
                if (units * size_pt * 0.001 / k + width(ord(text[j])) * size_pt * 0.001 / k) - avail > _TOLERANCE:
                    break
                j += 1
            added = j > start
            height = read_height if added else 0
            if j == stop and newline < 0:  # the rest of the text fits
                if cum[n] - cum[start]:
                    yield line(start, n, last_align, height)
                return
            if j == stop:
                i = newline + 1
                yield line(start, newline, last_align, max(height, read_height), True)
                continue
            before = bisect.bisect_left(spaces, j) - 1  # the last breaking space before j
            if text[j] in BREAKING_SPACE_SYMBOLS_STR:
                i = j + 1
                yield line(start, j, align, height)
            elif before >= 0 and spaces[before] >= start:
                i = spaces[before] + 1
                added = True
                yield line(start, spaces[before], align, height)
            else:
                if forced == j:
                    raise FPDFException("Not enough horizontal space to render a single character")
                forced_before = i = j
                yield line(start, j, last_align, height)


fpdf.fpdf.MultiLineBreak = _LineBreak  # type: ignore[misc,assignment]  # dispatches: only our fonts take the fast path


def _open(data: bytes) -> ttLib.TTFont:
    return ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)


class BrandedPDF(FPDF):
    def __init__(self, org_name: str, title: str, logo: bytes | None = None, subtitle: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.org_name, self.doc_title, self.logo, self.subtitle = org_name, title, logo, subtitle
        self._shared: dict[str, _SharedFont] = {}
        self._add_shared_font("", FONT_DIR / "DejaVuSans.ttf")
        self._add_shared_font("B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_font("DejaVu", size=10)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()
        self.set_title(title)
        self.set_creator("l2c")

    def _add_shared_font(self, style: str, path: Path) -> None:
        """`add_font("DejaVu", style, path)` without parsing the file again: a per-document copy
        of the process's template, with its own subset map and its own font tables."""
        shared = _shared_font(str(path), style)
        font = object.__new__(_DocumentFont)
        for slot in TTFFont.__slots__:
            if hasattr(shared.template, slot):
                setattr(font, slot, getattr(shared.template, slot))
        key = f"dejavu{style}"
        font.i, font.fontkey = len(self.fonts) + 1, key
        font._hbfont, font.biggest_size_pt, font.missing_glyphs, font.color_font = None, 0, [], None
        # fpdf2's output numbers the font descriptor and hangs the document's font file on it:
        # a descriptor shared by documents written at once in threads mixed their object ids.
        font.desc = copy.copy(shared.template.desc)
        font._last_text, font._last_units = "", 0
        font.subset = SubsetMap(font)
        font.ttfont = _open(shared.small)
        self.fonts[key] = font
        self._shared[key] = shared

    def output(self, *args: Any, **kwargs: Any) -> Any:
        # fontTools subsets `ttfont` in place: the small font when every glyph is in it.
        for key, shared in self._shared.items():
            font = self.fonts[key]
            assert isinstance(font, TTFFont)
            if not set(font.subset.get_all_glyph_names()) <= shared.small_names:
                font.ttfont = _open(shared.full)
        return super().output(*args, **kwargs)

    # fpdf2 calls these on every page
    def header(self) -> None:
        y = 12
        if self.logo:
            try:
                self.image(io.BytesIO(self.logo), x=15, y=10, h=12)
                y = 25
            except (RuntimeError, ValueError, OSError):  # a broken logo must not break the document
                pass
        self.set_xy(15, y if self.logo else 12)
        self.set_font("DejaVu", "B", 14)
        self.set_text_color(*ACCENT)
        self.cell(0, 8, self.org_name, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)
        self.set_text_color(*MUTED)
        self.cell(
            0, 5, self.doc_title + (f" · {self.subtitle}" if self.subtitle else ""), new_x="LMARGIN", new_y="NEXT"
        )
        self.set_draw_color(*ACCENT)
        self.line(15, self.get_y() + 1, 195, self.get_y() + 1)
        self.ln(5)
        self.set_text_color(0, 0, 0)
        self.set_font("DejaVu", "", 10)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.doc_title} · Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: int = 12) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def paragraph(self, text: str, size: int = 10) -> None:
        self.set_font("DejaVu", "", size)
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def party_blocks(self, *blocks: tuple[str, Sequence[str]], widths: Sequence[float] | None = None) -> None:
        """Side-by-side address blocks: ("From", [...lines]), ("For", [...lines]); equal widths
        unless `widths` (mm, adding up to 180) gives each block its own."""
        widths = list(widths) if widths else [180 / max(1, len(blocks))] * len(blocks)
        top = self.get_y()
        bottom = top
        for i, (label, lines) in enumerate(blocks):
            width = widths[i]
            self.set_xy(15 + sum(widths[:i]), top)
            self.set_font("DejaVu", "B", 9)
            self.set_text_color(*MUTED)
            self.cell(width, 5, label.upper(), new_x="LEFT", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.set_font("DejaVu", "", 10)
            for line in lines:
                if line:
                    self.set_x(15 + sum(widths[:i]))
                    self.multi_cell(width - 4, 5, line, new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, self.get_y())
        self.set_xy(15, bottom + 4)

    def table(  # type: ignore[override]  # our own table, not fpdf2's context-manager API
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        aligns: str | None = None,
        section_rows: set[int] | None = None,
    ) -> None:
        """A table that repeats its header on every page; rows in `section_rows` are headings."""
        aligns = aligns or "L" * len(headers)
        section_rows = section_rows or set()

        def head() -> None:
            self.set_font("DejaVu", "B", 9)
            self.set_fill_color(236, 239, 252)
            for h, w, a in zip(headers, widths, aligns, strict=True):
                self.cell(w, 7, h, border=0, align=a, fill=True)
            self.ln(7)
            self.set_font("DejaVu", "", 9)

        head()
        for index, row in enumerate(rows):
            if self.will_page_break(12):
                self.add_page()
                head()
            if index in section_rows:
                self.set_font("DejaVu", "B", 10)
                self.cell(sum(widths), 7, row[0], new_x="LMARGIN", new_y="NEXT")
                self.set_font("DejaVu", "", 9)
                continue
            # The first column wraps; the others are one line each. The first column is laid
            # out once: a text that fits is one cell (no line breaker), and a longer one's lines
            # come back from the call that prints them.
            y0 = self.get_y()
            if "\n" not in row[0] and self.get_string_width(row[0]) < widths[0] - 2 * self.c_margin:
                self.cell(widths[0], 5.5, row[0], align=aligns[0])
                lines = [row[0]]
            else:
                lines, _ = cast(
                    tuple[list[str], float],
                    self.multi_cell(
                        widths[0],
                        5.5,
                        row[0],
                        align=aligns[0],
                        new_x="RIGHT",
                        new_y="TOP",
                        output=MethodReturnValue.LINES | MethodReturnValue.HEIGHT,
                    ),
                )
            y_after_first = self.get_y()
            self.set_xy(15 + widths[0], y0)
            for value, w, a in zip(row[1:], widths[1:], aligns[1:], strict=True):
                self.cell(w, 5.5, value, align=a)
            h = max(5.5, 5.5 * len(lines), y_after_first - y0)
            self.set_xy(self.l_margin, y0 + h)
            self.set_draw_color(225, 225, 230)
            self.line(15, self.get_y(), 15 + sum(widths), self.get_y())
        self.ln(3)

    def totals(self, rows: Sequence[tuple[str, str]], bold_last: bool = True) -> None:
        for i, (label, value) in enumerate(rows):
            last = bold_last and i == len(rows) - 1
            self.set_font("DejaVu", "B" if last else "", 11 if last else 10)
            self.set_x(105)
            self.cell(55, 6.5, label, align="R")
            self.cell(35, 6.5, value, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)
        self.ln(3)

    def qr_code(self, matrix: Sequence[Sequence[bool]], x: float, y: float, size: float) -> None:
        """A QR code drawn as vector squares (crisp at any zoom, no image library needed)."""
        n = len(matrix)
        cell = size / max(1, n)
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < n:
                if row[c]:  # one rectangle per run of dark modules keeps the PDF small
                    start = c
                    while c < n and row[c]:
                        c += 1
                    self.rect(x + start * cell, y + r * cell, (c - start) * cell, cell, style="F")
                else:
                    c += 1
        self.set_fill_color(255, 255, 255)

    def output_bytes(self) -> bytes:
        return bytes(self.output())
