"""HTML → PDF with WeasyPrint, byte-identical for the same HTML.

Importing WeasyPrint takes half a second and rendering a page about as long: a PdfRenderer
does both in a helper process, the import while the formulas are typeset, each page while the
next is being built.
"""

from __future__ import annotations

import os
from collections.abc import Callable

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
    """Renders PDFs in a helper process started on first use (or by prepare())."""

    def __init__(self) -> None:
        self._service: Service[str, bytes] | None = None

    def prepare(self) -> None:
        """Start the helper, which imports WeasyPrint at once."""
        if self._service is None:
            self._service = Service(_import_weasyprint, render_pdf, nice=5)

    def render(self, html: str) -> Callable[[], bytes]:
        """Start rendering `html`; the returned function waits for the PDF's bytes."""
        self.prepare()
        return self._service.ask(html)
