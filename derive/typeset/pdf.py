"""HTML → PDF with WeasyPrint, byte-identical for the same HTML.

Importing WeasyPrint takes half a second and rendering a page about as long: a PdfRenderer
does both in a helper process, the import while the formulas are typeset, each page while the
next is being built.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

from derive.background import Service

STYLESHEETS = 8  # parsed stylesheets a PdfWriter keeps


def _import_weasyprint() -> None:
    import weasyprint  # noqa: F401


class PdfWriter:
    """Writes PDFs in one process, each stylesheet parsed once: a sheet's CSS is the same for
    every page of a run, and WeasyPrint spends a tenth of a short PDF compiling its selectors."""

    def __init__(self) -> None:
        self._font_config: Any = None
        self._stylesheets: dict[str, Any] = {}

    def write(self, request: tuple[str, str]) -> bytes:
        """The PDF of (HTML without its stylesheet, the stylesheet)."""
        html, css = request
        # Without Debian's libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools, which
        # stamps the current time into them unless SOURCE_DATE_EPOCH is set. No metadata date,
        # no attachments, no pdf/x-4 (each adds a timestamp or a random id).
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = "0"
        try:
            from weasyprint import CSS, HTML
            from weasyprint.text.fonts import FontConfiguration

            if self._font_config is None:
                self._font_config = FontConfiguration()
            if css not in self._stylesheets:
                if len(self._stylesheets) >= STYLESHEETS:
                    self._stylesheets.clear()
                self._stylesheets[css] = CSS(string=css, font_config=self._font_config)
            return HTML(string=html).write_pdf(
                stylesheets=[self._stylesheets[css]], font_config=self._font_config
            )
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
            writer = PdfWriter()
            self._services.append(Service(_import_weasyprint, writer.write, nice=5))

    def render(self, html: str, css: str) -> Callable[[], bytes]:
        """Start rendering `html` with the stylesheet `css`; the returned function waits for
        the PDF's bytes."""
        self.prepare()
        service = self._services[self._asked % self.workers]
        self._asked += 1
        return service.ask((html, css))


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


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
