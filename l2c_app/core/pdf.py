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

import io
from collections.abc import Sequence

from fpdf import FPDF

from l2c_app.core.config import PROJECT_DIR

FONT_DIR = PROJECT_DIR / "assets" / "fonts"
ACCENT = (62, 99, 221)  # the theme's indigo
MUTED = (110, 110, 120)


class BrandedPDF(FPDF):
    def __init__(self, org_name: str, title: str, logo: bytes | None = None, subtitle: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.org_name, self.doc_title, self.logo, self.subtitle = org_name, title, logo, subtitle
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_font("DejaVu", size=10)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()
        self.set_title(title)
        self.set_creator("l2c")

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
        self.cell(0, 5, self.doc_title + (f" · {self.subtitle}" if self.subtitle else ""), new_x="LMARGIN",
                  new_y="NEXT")
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

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
              aligns: str | None = None, section_rows: set[int] | None = None) -> None:
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
            # The first column wraps; the others are one line each.
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
