"""HTML → PDF with WeasyPrint, byte-identical for the same HTML.

Importing WeasyPrint takes half a second and rendering a page about as long: a PdfRenderer
does both in a helper process, the import while the formulas are typeset, each page while the
next is being built.
"""

from __future__ import annotations

import io
import multiprocessing.connection
import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from derive.background import Service
from derive.typeset import weasyprint_patches

STYLESHEETS = 8  # parsed stylesheets a PdfWriter keeps


def _import_weasyprint() -> None:
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
            _import_weasyprint()
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


class _Ticket:
    """One PDF asked of a helper: its answer, read once (by whoever needs the helper first)."""

    def __init__(self, receive: Callable[[], bytes]) -> None:
        self._receive = receive
        self._answer: tuple[bytes | None, BaseException | None] | None = None

    @property
    def read(self) -> bool:
        return self._answer is not None

    def collect(self) -> None:
        """Read the answer off the pipe (an error the helper reported is kept for value())."""
        try:
            self._answer = (self._receive(), None)
        except Exception as exc:  # raised again where the PDF is wanted
            self._answer = (None, exc)

    def value(self) -> bytes:
        """The PDF's bytes (read already), or what the helper raised."""
        assert self._answer is not None
        pdf, error = self._answer
        if error is not None:
            raise error
        assert pdf is not None
        return pdf


class PdfRenderer:
    """Renders PDFs in helper processes started on first use (or by prepare()): one, or for a
    run of several sheets up to `workers`. Each document goes to the first helper that is
    free, so documents of unequal length keep every helper busy to the end, and no helper is
    sent a page while its last PDF waits to be read: a helper handing over a PDF reads
    nothing, and a page and a PDF each bigger than the pipe would leave both sides waiting."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._services: list[Service[tuple[str, str], bytes]] = []
        self._tickets: list[deque[_Ticket]] = []  # per helper, answers not read yet

    def prepare(self) -> None:
        """Start the helpers: the first imports WeasyPrint at once, then forks the others."""
        if not self._services:
            first = Service(_import_weasyprint, PdfWriter().write, 5, copies=self.workers - 1)
            self._services = [first, *first.copies]
            self._tickets = [deque() for _ in self._services]

    def render(self, html: str, css: str) -> Callable[[], bytes]:
        """Start rendering `html` with the stylesheet `css` on the first free helper (waiting
        for one if none is); the returned function waits for the PDF's bytes."""
        self.prepare()
        helper = self._free_helper()
        ticket = self._send(helper, (html, css))
        return lambda: self._result(helper, ticket)

    def render_parts(
        self, requests: Iterable[tuple[str, str]], take: Callable[[bytes], None]
    ) -> Callable[[], None]:
        """Render each (html, css) of `requests` as render() does, taking the next request
        only when a helper is free (so it may be made meanwhile), and give each PDF to `take`
        in order as soon as it and those before it are in; the returned function waits for
        the rest."""
        self.prepare()
        waiting: deque[tuple[int, _Ticket]] = deque()

        def take_ready() -> None:
            while waiting and waiting[0][1].read:
                take(waiting.popleft()[1].value())

        for request in requests:
            helper = self._free_helper()
            waiting.append((helper, self._send(helper, request)))
            take_ready()

        def rest() -> None:
            while waiting:
                helper, ticket = waiting.popleft()
                take(self._result(helper, ticket))

        return rest

    def _free_helper(self) -> int:
        """A helper with no answer waiting, after reading the first answer to come if none."""
        while True:
            for helper, tickets in enumerate(self._tickets):
                while tickets and tickets[0].read:
                    tickets.popleft()
                if not tickets:
                    return helper
            busy = {self._services[h].connection: h for h, t in enumerate(self._tickets) if t}
            ready = multiprocessing.connection.wait(list(busy))
            for connection in ready:
                self._tickets[busy[connection]][0].collect()

    def _send(self, helper: int, request: tuple[str, str]) -> _Ticket:
        service = self._services[helper]
        ticket = _Ticket(service.ask(request))
        if service.inline:  # rendered already
            ticket.collect()
        self._tickets[helper].append(ticket)
        return ticket

    def _result(self, helper: int, ticket: _Ticket) -> bytes:
        """The ticket's PDF, reading the helper's answers up to it (they come in order)."""
        tickets = self._tickets[helper]
        while not ticket.read:
            oldest = tickets.popleft()
            if not oldest.read:
                oldest.collect()
        return ticket.value()


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
