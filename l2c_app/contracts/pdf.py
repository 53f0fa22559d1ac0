"""The contract PDF (same look as the quote and the invoice: core.pdf.BrandedPDF).

The body is the small Markdown subset of contracts/merge.py. Each signer gets a signature
block carrying white (invisible) anchor strings `/sigN/` and `/dateN/`, where DocuSign puts
its sign-here and date-signed tabs. The built-in signer renders the same document again with
the signature blocks filled in, plus a certificate page (the audit trail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from l2c_app.core.pdf import ACCENT, MUTED, BrandedPDF

TABLE_SEP = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def sig_anchor(index: int) -> str:
    return f"/sig{index}/"


def date_anchor(index: int) -> str:
    return f"/date{index}/"


@dataclass
class SignerBlock:
    index: int  # 1-based, in routing order: the anchor number
    role: str  # "Client", "Provider", ...
    name: str
    email: str
    signed_name: str | None = None
    signed_at: datetime | None = None
    ip: str | None = None


@dataclass
class CertificateRow:
    name: str
    email: str
    role: str
    routing_order: int
    status: str
    viewed_at: datetime | None
    consent_at: datetime | None
    signed_at: datetime | None
    typed_name: str | None
    ip: str | None
    user_agent: str | None


@dataclass
class Certificate:
    envelope: str
    original_sha256: str
    sent_at: datetime | None
    completed_at: datetime | None
    rows: list[CertificateRow] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def _ts(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


PUNCTUATION = frozenset(r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~""")
FPDF_MARKERS = ("**", "__", "--", "~~")


def _tokens(text: str) -> list[tuple[str, str]]:
    """The body's inline Markdown as ("bold", "**") and ("text", char) tokens.

    A backslash before punctuation (what merge.escape_md writes for every merged value) makes
    that character literal text, exactly as on the signing page."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in PUNCTUATION:
            out.append(("text", text[i + 1]))
            i += 2
        elif text.startswith("**", i):
            out.append(("bold", "**"))
            i += 2
        else:
            out.append(("text", text[i]))
            i += 1
    return out


def _fpdf_literal(run: str) -> str:
    """Literal text for fpdf2's markdown: backslashes doubled, its emphasis markers escaped."""
    run = run.replace("\\", "\\\\")
    for marker in FPDF_MARKERS:
        run = run.replace(marker, "\\" + marker)
    return run


def _md(text: str) -> str:
    """Our inline Markdown (only **bold** is markup) as fpdf2 markdown text. Everything else,
    escaped or not, prints as typed: fpdf2's __, --, ~~ are escaped, and ContractPDF turns its
    [link](url) syntax off, so client data like "a__b" or "[Pay here](http://...)" stays text."""
    parts: list[str] = []
    run: list[str] = []
    for kind, value in _tokens(text):
        if kind == "bold":
            parts.append(_fpdf_literal("".join(run)))
            run.clear()
            parts.append("**")
        else:
            run.append(value)
    parts.append(_fpdf_literal("".join(run)))
    return "".join(parts)


def _plain(text: str) -> str:
    """Text with no markup at all (headings, table cells): escapes resolved, ** dropped."""
    return "".join(value for kind, value in _tokens(text) if kind == "text")


def _cells(line: str) -> list[str]:
    """A table row's cells, split on unescaped pipes only (a merged `\\|` stays in its cell)."""
    cells, cur, i = [], [], 0
    line = line.strip()
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cur.append(line[i : i + 2])
            i += 2
            continue
        if line[i] == "|":
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(line[i])
        i += 1
    cells.append("".join(cur))
    if line.startswith("|"):
        cells = cells[1:]
    if line.endswith("|") and not line.endswith("\\|") and cells:
        cells = cells[:-1]
    return [c.strip() for c in cells]


class ContractPDF(BrandedPDF):
    """BrandedPDF with fpdf2's markdown links off: the contract PDF links nowhere."""

    MARKDOWN_LINK_REGEX = re.compile(r"(?!)")


def _render_table(pdf: BrandedPDF, lines: list[str]) -> None:
    header = _cells(lines[0])
    aligns = ["L"] * len(header)
    body = lines[1:]
    if body and TABLE_SEP.match(body[0].strip()):
        aligns = ["R" if c.endswith(":") else "L" for c in _cells(body[0])]
        body = body[1:]
    n = len(header)
    aligns = (aligns + ["L"] * n)[:n]
    rest = 30 if n > 1 else 0
    first = 180 - rest * (n - 1)
    if first < 50:  # many columns: share equally
        widths = [180 / n] * n
    else:
        widths = [first] + [rest] * (n - 1)
    rows = [([_plain(c) for c in _cells(r)] + [""] * n)[:n] for r in body]
    pdf.table([_plain(h) for h in header], rows, widths=widths, aligns="".join(aligns))


def render_body(pdf: BrandedPDF, body: str) -> None:
    lines = body.replace("\r\n", "\n").split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5, _md(" ".join(para)), markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            para.clear()

    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            pdf.ln(1)
            pdf.heading(_plain(stripped.lstrip("#").strip()), size={1: 15, 2: 12}.get(level, 11))
        elif stripped.startswith("|"):
            flush()
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            _render_table(pdf, block)
            continue
        elif stripped.startswith(("- ", "* ")):
            flush()
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, "•  " + _md(stripped[2:]), markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            para.append(stripped)
        i += 1
    flush()


def _signature_block(pdf: BrandedPDF, block: SignerBlock) -> None:
    if pdf.will_page_break(42):
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, f"{block.role.upper()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 5, f"{block.name} <{block.email}>", new_x="LMARGIN", new_y="NEXT")
    # Signature line: the anchor sits on it in white, so DocuSign's tab lands here.
    y_sig = pdf.get_y() + 2
    pdf.set_xy(x0, y_sig)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(30, 8, sig_anchor(block.index))
    pdf.set_xy(x0 + 120, y_sig)
    pdf.cell(30, 8, date_anchor(block.index))
    pdf.set_text_color(0, 0, 0)
    if block.signed_name:
        pdf.set_xy(x0 + 2, y_sig)
        pdf.set_font("DejaVu", "B", 15)
        pdf.set_text_color(*ACCENT)
        pdf.cell(110, 9, block.signed_name)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 9)
        pdf.set_xy(x0 + 120, y_sig + 1)
        pdf.cell(60, 7, _ts(block.signed_at))
    pdf.set_draw_color(120, 120, 130)
    pdf.line(x0, y_sig + 10, x0 + 110, y_sig + 10)
    pdf.line(x0 + 120, y_sig + 10, x0 + 180, y_sig + 10)
    pdf.set_xy(x0, y_sig + 11)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        120,
        4,
        "Signature"
        + (" (signed electronically" + (f", IP {block.ip})" if block.ip else ")") if block.signed_name else ""),
    )
    pdf.cell(60, 4, "Date")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x0, max(pdf.get_y() + 10, y0 + 30))


def _certificate(pdf: BrandedPDF, cert: Certificate) -> None:
    pdf.add_page()
    pdf.heading("Certificate of completion", size=15)
    pdf.paragraph(
        "This page records how the document above was signed. The SHA-256 below identifies the "
        "original document that was sent; the signed PDF's own SHA-256 is kept by the sender, so any "
        "later change to this file is detectable.",
        size=9,
    )
    pdf.set_font("DejaVu", "", 9)
    for label, value in (
        ("Envelope", cert.envelope),
        ("Original document SHA-256", cert.original_sha256),
        ("Sent", _ts(cert.sent_at)),
        ("Completed", _ts(cert.completed_at)),
    ):
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(58, 5.5, label)
        # 7.5 pt keeps a 64-digit hash on one line (a wrapped hash is hard to compare by eye)
        pdf.set_font("DejaVu", "", 7.5 if len(value) == 64 else 9)
        pdf.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for row in cert.rows:
        if pdf.will_page_break(50):
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(
            0,
            6,
            f"{row.name} <{row.email}> · {row.role} · routing order {row.routing_order} · {row.status}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 9)
        for label, value in (
            ("Viewed", _ts(row.viewed_at)),
            ("Consent to sign electronically", _ts(row.consent_at)),
            ("Signed", _ts(row.signed_at)),
            ("Typed name", row.typed_name or "-"),
            ("IP address", row.ip or "-"),
            ("User agent", row.user_agent or "-"),
        ):
            pdf.cell(60, 5, label)
            pdf.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    if cert.events:
        pdf.heading("Events", size=11)
        pdf.set_font("DejaVu", "", 8)
        for ev in cert.events:
            pdf.multi_cell(
                0,
                4.5,
                f"{ev.get('at', '')}  {ev.get('event', '')}  {ev.get('who', '')}"
                f"{('  ' + ev['detail']) if ev.get('detail') else ''}",
                new_x="LMARGIN",
                new_y="NEXT",
            )


def render_contract(
    *,
    org_name: str,
    title: str,
    subtitle: str,
    body: str,
    signers: list[SignerBlock],
    created: datetime,
    certificate: Certificate | None = None,
    logo: bytes | None = None,
) -> bytes:
    """The contract as PDF bytes. Deterministic for the same inputs (fixed creation date)."""
    pdf = ContractPDF(org_name=org_name, title=title, subtitle=subtitle, logo=logo)
    pdf.set_creation_date(created if created.tzinfo else created.replace(tzinfo=UTC))
    pdf.add_page()
    render_body(pdf, body)
    if signers:
        pdf.ln(4)
        if pdf.will_page_break(50):
            pdf.add_page()
        pdf.heading("Signatures", size=12)
        pdf.ln(2)
        for block in signers:
            _signature_block(pdf, block)
    if certificate is not None:
        _certificate(pdf, certificate)
    return pdf.output_bytes()
