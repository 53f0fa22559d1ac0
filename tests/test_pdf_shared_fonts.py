"""The PDF fast path (fonts parsed once per process, a table row laid out once) prints the same
bytes as the plain fpdf2 path: `add_font` per document and the row measured by a second,
dry-run layout. Same cases through both, byte for byte (creation date fixed)."""

from __future__ import annotations

import datetime
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fpdf.enums import Align, WrapMode
from fpdf.errors import FPDFException
from fpdf.line_break import MultiLineBreak
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from l2c_app.core import pdf as core_pdf


class ReferencePDF(core_pdf.BrandedPDF):
    """The path before the fast one: fpdf2's own add_font and output, two layouts per row."""

    def _add_shared_font(self, style, path):
        self.add_font("DejaVu", style, str(path))

    def output(self, *args, **kwargs):
        return core_pdf.FPDF.output(self, *args, **kwargs)

    def table(self, headers, rows, widths, aligns=None, section_rows=None):
        aligns = aligns or "L" * len(headers)
        section_rows = section_rows or set()

        def head():
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
            y0 = self.get_y()
            self.multi_cell(widths[0], 5.5, row[0], align=aligns[0], new_x="RIGHT", new_y="TOP")
            h = max(5.5, self.get_y() - y0) if self.get_y() > y0 else 5.5
            y_after_first = self.get_y()
            self.set_xy(15 + widths[0], y0)
            for value, w, a in zip(row[1:], widths[1:], aligns[1:], strict=True):
                self.cell(w, 5.5, value, align=a)
            lines = len(self.multi_cell(widths[0], 5.5, row[0], dry_run=True, output="LINES"))
            h = max(h, 5.5 * lines, y_after_first - y0)
            self.set_xy(self.l_margin, y0 + h)
            self.set_draw_color(225, 225, 230)
            self.line(15, self.get_y(), 15 + sum(widths), self.get_y())
        self.ln(3)


LONG = "with a much longer description that wraps onto a second and even a third line of the first column "
CASES = [
    (1, "Plain terms – “quoted” ‰ № ™ €"),
    (12, "Zoë Łukasiewicz, Ærøskøbing, Ŧest"),  # Latin extensions: the small working font
    (40, "Ελληνικά и кириллица שלום"),  # outside the working set: the whole font is subset
    (300, "A long quote"),
]


def _build(cls, lines: int, text: str) -> bytes:
    pdf = cls(org_name="Acme Studio", title="Proposal Q-12 v2", subtitle="v2")
    pdf.set_creation_date(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    pdf.add_page()
    pdf.heading("Scope")
    pdf.paragraph(text)
    pdf.party_blocks(("From", ["Acme Studio", "1 Road"]), ("For", ["Client Ltd", text]))
    rows = [[f"Item {i} {text} " + LONG * (i % 3), "2", "€1,000.00", "€2,000.00"] for i in range(lines)]
    pdf.table(
        ["Description", "Qty", "Price", "Amount"],
        rows,
        widths=[100, 20, 30, 30],
        aligns="LRRR",
        section_rows={0} if lines > 3 else None,
    )
    pdf.totals([("Subtotal", "€1,000.00"), ("Total", "€1,200.00")])
    return pdf.output_bytes()


@pytest.mark.parametrize(("lines", "text"), CASES)
def test_fast_and_reference_paths_print_the_same_bytes(lines, text):
    fast = _build(core_pdf.BrandedPDF, lines, text)
    assert fast == _build(ReferencePDF, lines, text)
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(fast)).pages)
    assert text.split()[0] in printed


def test_documents_built_at_once_in_threads_do_not_share_state():
    """The template font is shared by the process; subset maps and font tables are not."""
    expected = {case: _build(ReferencePDF, *case) for case in CASES[:3]}
    start = threading.Barrier(6)

    def one(case):
        start.wait()
        return case, _build(core_pdf.BrandedPDF, *case)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(one, [c for c in CASES[:3] for _ in range(2)]))
    assert all(data == expected[case] for case, data in results)


def test_each_document_numbers_its_own_font_descriptor():
    """fpdf2's output sets the descriptor's object id and font file: one shared by two documents
    written at once gave a cross-reference table without that object (KeyError in output)."""
    one, two = core_pdf.BrandedPDF(org_name="A", title="T"), core_pdf.BrandedPDF(org_name="B", title="T")
    for key in ("dejavu", "dejavuB"):
        assert one.fonts[key].desc is not two.fonts[key].desc
        assert vars(one.fonts[key].desc) == vars(two.fonts[key].desc)


def _lines(breaker, fragments, width, margins, align):
    """Every line a breaker gives, as plain values (or the error it raises)."""
    try:
        lb = breaker(fragments, width, margins, align=align)
        out = []
        while (line := lb.get_line()) is not None:
            out.append(
                (
                    [(f.characters, f.graphics_state, f.k, f.link) for f in line.fragments],
                    *line[1:],
                )
            )
            assert len(out) < 500
        return out
    except FPDFException as error:
        return str(error)


WORDS = st.sampled_from(["a", "Zoë", "Łukasiewicz", "–", "€1,000.00", "x" * 40, " ", "  ", "\n", "\t", "\u200b", "ﬁ"])


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(WORDS, max_size=40),
    width=st.sampled_from([3, 9.5, 20, 48, 88, 100, 180]),
    size=st.sampled_from([8, 9, 10, 15]),
    style=st.sampled_from(["", "B"]),
    align=st.sampled_from(["L", "R", "C", "J"]),
)
def test_the_fast_line_breaker_gives_fpdf2s_lines(words, width, size, style, align):
    """core.pdf's line breaker against fpdf2's own (line_break.MultiLineBreak) on the same
    fragment: the same lines, widths, spaces, heights, or the same error."""
    pdf = core_pdf.BrandedPDF(org_name="Acme", title="T")
    pdf.add_page()
    pdf.set_font("DejaVu", style, size)
    fragments = pdf._preload_font_styles("".join(words), False)
    if len(fragments) != 1:
        return
    margins = [pdf.c_margin, pdf.c_margin]
    mine = core_pdf._LineBreak(fragments, width, margins, align=Align.coerce(align))
    assert type(mine) is core_pdf._LineBreak  # the fast path, not fpdf2's
    expected = _lines(MultiLineBreak, fragments, width, margins, Align.coerce(align))
    assert _lines(core_pdf._LineBreak, fragments, width, margins, Align.coerce(align)) == expected


def test_other_text_goes_to_fpdf2s_line_breaker():
    pdf = core_pdf.BrandedPDF(org_name="Acme", title="T")
    pdf.add_page()
    for text in ("soft\u00adhyphen", "non\u00a0breaking", "page {nb}"):
        fragments = pdf._preload_font_styles(text, False)
        assert type(core_pdf._LineBreak(fragments, 50, [1, 1])) is MultiLineBreak
    fragments = pdf._preload_font_styles("markdown", False)
    assert type(core_pdf._LineBreak(fragments, lambda h: 50, [1, 1])) is MultiLineBreak  # write()'s
    assert type(core_pdf._LineBreak(fragments, 50, [1, 1], wrapmode=WrapMode.CHAR)) is MultiLineBreak


@pytest.mark.parametrize("align", ["L", "R", "C", "J"])
def test_paragraphs_print_the_same_bytes(align):
    """multi_cell through both paths: newlines, double spaces, tabs, a word wider than the column."""
    text = "First  line\n\nsecond\tline with " + "a-very-long-word-" * 8 + " end \n" + LONG * 3 + "\n"

    def build(cls):
        pdf = cls(org_name="Acme", title="T")
        pdf.set_creation_date(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
        pdf.add_page()
        for w in (0, 60, 23):
            pdf.multi_cell(w, 5, text, align=align, new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(w, 5, text, align=align, border=1, fill=True, padding=2, new_x="LMARGIN")
        return pdf.output_bytes()

    assert build(core_pdf.BrandedPDF) == build(ReferencePDF)
