"""Worked-solution sheets: spec → verified derivation → document → HTML and PDF.

`Sheet(spec)` is also the notebook API: it shows itself in Jupyter.
"""

from __future__ import annotations

import functools
import html as html_escape
from collections.abc import Callable
from pathlib import Path

from derive.background import in_background
from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec, load_spec
from derive.engine.update import descend
from derive.files import write_documents
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Document
from derive.sheets.locale import LANGUAGES
from derive.typeset import mathsvg
from derive.typeset.fonts import linked_css, math_css, words_css
from derive.typeset.html import render_html, typeset
from derive.typeset.pdf import prepare_pdf, render_pdf
from derive.verify.verification import verify

FORMATS = ("html", "pdf")
CARRIES = ("exact", "rounded")
MAX_PRECISION = 10


class Sheet:
    """One worked solution in one language, at a given precision and carry mode."""

    def __init__(
        self,
        spec: Spec | str | Path | None = None,
        lang: str = "en",
        precision: int = 3,
        carry: str = "exact",
    ) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}")
        if carry not in CARRIES:
            raise ValueError(f"carry must be one of {CARRIES}")
        if not 1 <= precision <= MAX_PRECISION:
            raise ValueError(f"precision must be between 1 and {MAX_PRECISION} decimals")
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self.lang, self.precision, self.carry = lang, precision, carry

    @functools.cached_property
    def derivation(self) -> Derivation:
        """The exact derivation (the verified one)."""
        return derive(build_network(self.spec))

    @functools.cached_property
    def _built(self) -> tuple[Document, Callable[[], str]]:
        exact = self.derivation
        update = descend(exact)
        shown = exact if self.carry == "exact" else derive(exact.network, self.precision)
        builder = DocumentBuilder(shown, descend(shown), self.lang, self.precision, self.carry)
        words = builder.words()
        # the verification and the HTML file's fonts run in other processes while the
        # formulas are typeset here; the PDF links its fonts and needs only the verification
        verification = in_background(lambda: verify(exact, update))
        fonts = in_background(lambda: words_css(words), nice=10)
        typeset(builder.document(None))
        prepare_pdf()
        return builder.document(verification()), fonts  # raises if any check failed

    @property
    def document(self) -> Document:
        return self._built[0]

    @functools.cached_property
    def html(self) -> str:
        """One self-contained file: fonts inlined, cut down to what the sheet uses."""
        document, fonts = self._built
        return render_html(document, fonts() + "\n" + math_css(mathsvg.characters()))

    @functools.cached_property
    def pdf(self) -> bytes:
        """The same page for WeasyPrint, fonts linked by file (it embeds what is used)."""
        return render_pdf(render_html(self.document, linked_css()))

    def write(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """Write DIR/<name>.<lang>.<format> for each format; returns the paths."""
        # the PDF first, as the HTML file's fonts may still be being cut in the background
        render = {"pdf": lambda: self.pdf, "html": lambda: self.html.encode("utf-8")}
        return write_documents(Path(directory), f"{self.spec.name}.{self.lang}", formats, render)

    def _repr_html_(self) -> str:
        # an iframe keeps the sheet's page styles out of the notebook's own
        return (
            f'<iframe srcdoc="{html_escape.escape(self.html, quote=True)}" '
            'style="width:100%;height:900px;border:1px solid #ccc"></iframe>'
        )
