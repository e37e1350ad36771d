"""HTML → PDF with WeasyPrint, byte-identical for the same HTML.

Importing WeasyPrint takes half a second and rendering a page about as long: the PDF lane's
workers (derive.workers) do both, the import while the formulas are typeset, each page while
the next is being built.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from derive.sheets.document import Document, Publication
from derive.typeset import weasyprint_patches
from derive.typeset.html import Formulas, HtmlRenderer
from derive.workers import PDF, Answer, Workers

STYLESHEETS = 8  # parsed stylesheets a PdfWriter keeps


def import_weasyprint() -> None:
    """WeasyPrint, imported and patched. Its import warns when the machine has no fonts, but
    every font a page uses is an @font-face of derive's own: the PDF is the same either way
    (byte for byte), and the warning would mislead."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No fonts configured in FontConfig")
        import weasyprint  # noqa: F401
    weasyprint_patches.install()


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
            import_weasyprint()
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


@functools.cache
def _writer() -> PdfWriter:
    """This process's writer: a PDF worker keeps its parsed stylesheets for the run."""
    return PdfWriter()


def write_pdf(html: str, css: str) -> bytes:
    """A PDF worker's task (PdfWriter.write): the PDF of the HTML with its stylesheet."""
    return _writer().write((html, css))


def render(workers: Workers, html: str, css: str) -> Answer[bytes]:
    """Start rendering `html` with the stylesheet `css` on the first free PDF worker."""
    return workers.submit(PDF, write_pdf, html, css)


def render_parts(
    workers: Workers, requests: Iterable[tuple[str, str]], take: Callable[[bytes], None]
) -> Callable[[], None]:
    """Render each (html, css) of `requests` as render() does, the next request made while
    the workers render the ones before, and give each PDF to `take` in order as soon as it
    and those before it are in; the returned function waits for the rest."""
    waiting: deque[Answer[bytes]] = deque()
    for request in requests:
        waiting.append(render(workers, *request))
        while waiting and waiting[0].ready():
            take(waiting.popleft()())

    def rest() -> None:
        while waiting:
            take(waiting.popleft()())

    return rest


class PdfJoiner:
    """PDFs one after another in one file, each read (pypdf) as it comes, while the helpers
    render the rest: no dates, no random ID, so the same parts give the same bytes."""

    def __init__(self) -> None:
        from pypdf import PdfWriter as Writer

        self._writer = Writer()

    def add(self, pdf: bytes) -> None:
        from pypdf import PdfReader

        self._writer.append(PdfReader(io.BytesIO(pdf)))

    def joined(self) -> bytes:
        out = io.BytesIO()
        self._writer.write(out)
        return out.getvalue()


class PdfFile:
    """The PDF format: the page rendered by WeasyPrint on a PDF worker (its import started
    while the document is built); a publication of parts is theirs, joined."""

    starts = 0  # first: its worker takes longest

    def __init__(self, renderer: HtmlRenderer, publication: Publication) -> None:
        self.renderer, self.parts = renderer, publication.parts
        renderer.workers.start(PDF)

    def start(self, document: Document, typeset: Formulas) -> Callable[[], bytes]:
        if self.parts:
            return parts_pdf(self.renderer, self.parts, typeset)
        self.renderer.complete(typeset, document)
        return render(self.renderer.workers, *self.renderer.pdf_request(document, typeset))


def parts_pdf(
    renderer: HtmlRenderer, parts: Iterable[Document], typeset: Formulas
) -> Callable[[], bytes]:
    """Start the parts' PDFs, each typeset here (into `typeset`) while the workers render
    the ones before, and given to the first free worker; each is joined as it comes, and
    the returned function waits for the last."""

    def requests() -> Iterator[tuple[str, str]]:
        for part in parts:
            formulas = renderer.formulas(part)
            typeset.update(formulas)
            yield renderer.pdf_request(part, formulas)

    joiner = PdfJoiner()
    rest = render_parts(renderer.workers, requests(), joiner.add)

    def joined() -> bytes:
        rest()
        return joiner.joined()

    return joined
