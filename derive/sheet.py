"""Worked-solution sheets: spec → verified derivation → document → HTML and PDF.

`Sheet(spec)` is also the notebook API: it shows itself in Jupyter. Several sheets of one spec
(languages, precisions) share one Solving, so the spec is derived and verified once; several
sheets of a run share one HtmlRenderer, whose formula cache never changes what a page holds.
"""

from __future__ import annotations

import functools
import html as html_escape
from collections.abc import Callable, Iterator
from pathlib import Path

from derive.background import in_background
from derive.engine.derivation import Derivation, derive
from derive.engine.spec import Spec, load_spec
from derive.engine.update import descend
from derive.errors import InputError
from derive.files import check_writable, write_all
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Document
from derive.sheets.locale import LANGUAGES
from derive.solution import Solving
from derive.typeset.fonts import words_css
from derive.typeset.html import Formulas, HtmlRenderer
from derive.typeset.pdf import prepare_pdf

FORMATS = ("html", "pdf")
CARRIES = ("exact", "rounded")
MAX_PRECISION = 10


class Sheet:
    """One worked solution in one language, at a given precision and carry mode."""

    def __init__(
        self,
        spec: Spec | Solving | str | Path | None = None,
        lang: str = "en",
        precision: int = 3,
        carry: str = "exact",
        renderer: HtmlRenderer | None = None,
    ) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}")
        if carry not in CARRIES:
            raise ValueError(f"carry must be one of {CARRIES}")
        if not 1 <= precision <= MAX_PRECISION:
            raise ValueError(f"precision must be between 1 and {MAX_PRECISION} decimals")
        if not isinstance(spec, Solving):
            spec = Solving(spec if isinstance(spec, Spec) else load_spec(spec))
        self.solving, self.spec = spec, spec.spec
        self.lang, self.precision, self.carry = lang, precision, carry
        self.renderer = renderer or HtmlRenderer()

    @property
    def derivation(self) -> Derivation:
        """The exact derivation (the verified one)."""
        return self.solving.derivation

    @functools.cached_property
    def _built(self) -> tuple[Document, Formulas, Callable[[], str]]:
        solving = self.solving
        if self.carry == "exact":
            shown, update = solving.derivation, solving.update
        else:
            shown = derive(solving.derivation.network, self.precision)
            update = descend(shown)
        builder = DocumentBuilder(shown, update, self.lang, self.precision, self.carry)
        words = builder.words()
        # the verification and the HTML file's fonts run in other processes while the
        # formulas are typeset here; the PDF links its fonts and needs only the verification
        solving.start()
        fonts = in_background(lambda: words_css(words), nice=10)
        self.renderer.formulas(builder.document(None))
        prepare_pdf()
        document = builder.document(solving.solution.verification)  # raises if a check failed
        return document, self.renderer.formulas(document), fonts

    @property
    def document(self) -> Document:
        return self._built[0]

    @functools.cached_property
    def html(self) -> str:
        """One self-contained file: fonts inlined, cut down to what the sheet uses."""
        document, typeset, fonts = self._built
        return self.renderer.html(document, typeset, fonts())

    @functools.cached_property
    def pdf(self) -> bytes:
        """The same page for WeasyPrint, fonts linked by file."""
        document, typeset, _ = self._built
        return self.renderer.pdf(document, typeset)

    def paths(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """DIR/<name>.<lang>.<format> for each format."""
        return [Path(directory) / f"{self.spec.name}.{self.lang}.{fmt}" for fmt in formats]

    def outputs(
        self, directory: str | Path, formats: tuple[str, ...] = FORMATS
    ) -> dict[Path, bytes]:
        """{path: contents} of each format, rendered (the PDF first: the HTML file's fonts may
        still be being cut in the background)."""
        rendered = {"pdf": lambda: self.pdf, "html": lambda: self.html.encode("utf-8")}
        contents = {fmt: rendered[fmt]() for fmt in sorted(formats, key=list(rendered).index)}
        return dict(zip(self.paths(directory, formats), (contents[f] for f in formats)))

    def write(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """Write DIR/<name>.<lang>.<format> for each format, all or none; returns the paths."""
        check_writable(self.paths(directory, formats))
        return write_all(self.outputs(directory, formats))

    def _repr_html_(self) -> str:
        # an iframe keeps the sheet's page styles out of the notebook's own
        return (
            f'<iframe srcdoc="{html_escape.escape(self.html, quote=True)}" '
            'style="width:100%;height:900px;border:1px solid #ccc"></iframe>'
        )


def sheets(
    specs: list[Spec], langs: tuple[str, ...], precision: int = 3, carry: str = "exact"
) -> Iterator[Sheet]:
    """Every spec in every language, in that order: one Solving per spec shared by its
    languages, one renderer for all. The next spec's verification starts while this spec's
    sheets are typeset, so the background work stays one spec ahead (not hundreds at once)."""
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            sources = " and ".join(s.source for s in specs if s.name == name)
            raise InputError(sources, "", f"two specs named {name!r} would write the same files")
    renderer = HtmlRenderer()
    solvings = [Solving(spec) for spec in specs]
    for k, solving in enumerate(solvings):
        solving.start()
        if k + 1 < len(solvings):
            solvings[k + 1].start()
        for lang in langs:
            yield Sheet(solving, lang, precision, carry, renderer)
