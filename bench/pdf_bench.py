"""PDF build time: l2c's path (fonts parsed once per process, table rows laid out once) side by
side with the plain fpdf2 path (add_font per document, a second dry-run layout per row), same
documents, same run. Both print the same bytes (tests/test_pdf_shared_fonts.py).

Run: `make bench BENCH=pdf_bench`. CPU time per document (process time), median of the runs.
Targets (issue 18): a 1-line quote under 25 ms, a 300-line one under 150 ms.
"""

from __future__ import annotations

import statistics
import time

from l2c_app.core.pdf import BrandedPDF
from tests.test_pdf_shared_fonts import ReferencePDF, _build


def _cpu_ms(cls, lines: int, runs: int) -> float:
    _build(cls, lines, "warm up")
    times = []
    for _ in range(runs):
        start = time.process_time()
        _build(cls, lines, "Plain terms – “quoted” €")
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    print(f"{'document':<16}{'l2c':>10}{'plain fpdf2':>14}{'ratio':>8}")
    for lines, runs in ((1, 15), (30, 7), (300, 3)):
        fast, plain = _cpu_ms(BrandedPDF, lines, runs), _cpu_ms(ReferencePDF, lines, runs)
        print(f"{lines:>4}-line quote {fast:>8.1f} ms {plain:>10.1f} ms {plain / fast:>6.1f}x")


if __name__ == "__main__":
    main()
