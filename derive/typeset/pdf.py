"""HTML → PDF with WeasyPrint, byte-identical for the same HTML.

Importing WeasyPrint takes half a second and rendering a page about as long: a PdfRenderer
does both in a helper process, the import while the formulas are typeset, each page while the
next is being built.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence

from derive.background import Service


def _import_weasyprint() -> None:
    import weasyprint  # noqa: F401


def render_pdf(html: str) -> bytes:
    # Without Debian's libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools, which stamps
    # the current time into them unless SOURCE_DATE_EPOCH is set. No metadata date, no
    # attachments, no pdf/x-4 (each adds a timestamp or a random id).
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        from weasyprint import HTML

        return HTML(string=html).write_pdf()
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class PdfRenderer:
    """Renders PDFs in helper processes started on first use (or by prepare()): one, or for a
    run of several sheets up to `workers`, which take the pages in turn."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._services: list[Service[str, bytes]] = []
        self._asked = 0

    def prepare(self) -> None:
        """Start the helpers, which import WeasyPrint at once."""
        while len(self._services) < self.workers:
            self._services.append(Service(_import_weasyprint, render_pdf, nice=5))

    def render(self, html: str) -> Callable[[], bytes]:
        """Start rendering `html`; the returned function waits for the PDF's bytes."""
        self.prepare()
        service = self._services[self._asked % self.workers]
        self._asked += 1
        return service.ask(html)


def join_pdfs(parts: Sequence[bytes]) -> bytes:
    """PDFs one after another in one file (pypdf: no dates, no random ID, so the same parts
    give the same bytes)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
