"""Worked-solution sheets: spec → verified derivation → document → HTML and PDF.

`Sheet(spec)` is also the notebook API: it shows itself in Jupyter. Several sheets of one spec
(languages, precisions) share one Solving, so the spec is derived and verified once; several
sheets of a run share one HtmlRenderer, whose formula cache never changes what a page holds.
"""

from __future__ import annotations

import functools
import html as html_escape
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from derive.engine.batch import derive_batch
from derive.engine.derivation import Derivation
from derive.engine.spec import Spec, load_spec
from derive.engine.training import descend
from derive.errors import InputError
from derive.files import check_writable, write_all
from derive.sheets.builder import DocumentBuilder
from derive.sheets.context import DETAILS
from derive.sheets.document import Document
from derive.sheets.locale import LANGUAGES
from derive.solution import Solving
from derive.typeset.html import Formulas, HtmlRenderer

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
        detail: str = "some",
    ) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"lang must be one of {LANGUAGES}")
        if carry not in CARRIES:
            raise ValueError(f"carry must be one of {CARRIES}")
        if detail not in DETAILS:
            raise ValueError(f"detail must be one of {DETAILS}")
        if not 1 <= precision <= MAX_PRECISION:
            raise ValueError(f"precision must be between 1 and {MAX_PRECISION} decimals")
        if not isinstance(spec, Solving):
            spec = Solving(spec if isinstance(spec, Spec) else load_spec(spec))
        self.solving, self.spec = spec, spec.spec
        self.lang, self.precision, self.carry, self.detail = lang, precision, carry, detail
        self.renderer = renderer or HtmlRenderer()

    @property
    def derivation(self) -> Derivation:
        """The exact derivation (the verified one)."""
        return self.solving.derivation

    @functools.cached_property
    def _builder(self) -> DocumentBuilder:
        batch, update = self.solving.batch, self.solving.update
        if self.carry == "rounded":
            batch = derive_batch(batch.network, self.precision)
            update = descend(batch)
        return DocumentBuilder(batch, update, self.lang, self.precision, self.carry, self.detail)

    @functools.cached_property
    def _fonts(self) -> Callable[[], str]:
        """The HTML file's fonts, cut down to its words in a helper (only HTML needs them)."""
        return self.renderer.word_fonts(self._builder.words())

    @functools.cached_property
    def _built(self) -> tuple[Document, Formulas]:
        solving, renderer, builder = self.solving, self.renderer, self._builder
        # the verification, the fonts and WeasyPrint's import run in other processes while
        # the formulas are typeset here
        solving.start()
        renderer.pdf_renderer.prepare()
        renderer.formulas(builder.document(None))
        document = builder.document(solving.solution)  # raises if a check failed
        return document, renderer.formulas(document)

    @property
    def document(self) -> Document:
        return self._built[0]

    @functools.cached_property
    def html(self) -> str:
        """One self-contained file: fonts inlined, cut down to what the sheet uses."""
        fonts = self._fonts
        document, typeset = self._built
        return self.renderer.html(document, typeset, fonts())

    @functools.cached_property
    def _pdf(self) -> Callable[[], bytes]:
        document, typeset = self._built
        return self.renderer.pdf(document, typeset)

    @functools.cached_property
    def pdf(self) -> bytes:
        """The same page for WeasyPrint, fonts linked by file."""
        return self._pdf()

    def paths(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """DIR/<name>.<lang>.<format> for each format."""
        return [Path(directory) / f"{self.spec.name}.{self.lang}.{fmt}" for fmt in formats]

    def render(
        self, directory: str | Path, formats: tuple[str, ...] = FORMATS
    ) -> Callable[[], dict[Path, bytes]]:
        """Build the sheet and start its PDF; the returned function finishes the files:
        {path: contents} of each format. A run renders the next sheet in between."""
        if "html" in formats:
            self._fonts  # noqa: B018 - starts the helper on them
        if "pdf" in formats:
            self._pdf  # noqa: B018 - starts the helper on it
        else:
            self._built  # noqa: B018

        def finish() -> dict[Path, bytes]:
            contents = {"pdf": lambda: self.pdf, "html": lambda: self.html.encode("utf-8")}
            return {p: contents[f]() for p, f in zip(self.paths(directory, formats), formats)}

        return finish

    def outputs(
        self, directory: str | Path, formats: tuple[str, ...] = FORMATS
    ) -> dict[Path, bytes]:
        """{path: contents} of each format."""
        return self.render(directory, formats)()

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
    specs: list[Spec],
    langs: tuple[str, ...],
    precision: int = 3,
    carry: str = "exact",
    detail: str = "some",
) -> Iterator[Sheet]:
    """Every spec in every language, in that order: one Solving per spec shared by its
    languages, one renderer for all. The next spec's verification starts while this spec's
    sheets are typeset, so the background work stays one spec ahead (not hundreds at once)."""
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            sources = " and ".join(s.source for s in specs if s.name == name)
            raise InputError(sources, "", f"two specs named {name!r} would write the same files")
    # a PDF helper per core, up to one per sheet: pages render side by side
    workers = min(len(specs) * len(langs), os.cpu_count() or 1)
    renderer = HtmlRenderer(pdf_workers=workers)
    solvings = [Solving(spec) for spec in specs]
    for k, solving in enumerate(solvings):
        solving.start()
        if k + 1 < len(solvings):
            solvings[k + 1].start()
        for lang in langs:
            yield Sheet(solving, lang, precision, carry, renderer, detail)
