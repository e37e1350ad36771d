"""Worked-solution sheets: spec → verified derivation → document → HTML and PDF.

`Sheet(spec)` is also the notebook API: it shows itself in Jupyter. Several sheets of one spec
(languages, precisions) share one Solving, so the spec is derived and verified once; several
sheets of a run share one HtmlRenderer, whose formula cache never changes what a page holds.
"""

from __future__ import annotations

import functools
import html as html_escape
import os
from collections.abc import Iterator
from pathlib import Path

from derive.engine.batch import derive_batch
from derive.engine.derivation import Derivation
from derive.engine.spec import Spec, load_spec
from derive.engine.training import descend
from derive.errors import InputError
from derive.files import check_writable, write_all
from derive.sheets.builder import DocumentBuilder
from derive.sheets.context import DETAILS
from derive.sheets.document import Document, Publication
from derive.solution import Solving
from derive.text.locale import LANGUAGES
from derive.typeset.html import HtmlRenderer
from derive.typeset.publish import Rendered, paths, publish
from derive.workers import FONTS, PDF, VERIFY, Workers

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
        self.renderer = renderer or HtmlRenderer()
        if not isinstance(spec, Solving):
            spec = spec if isinstance(spec, Spec) else load_spec(spec)
            spec = Solving(spec, self.renderer.workers)
        self.solving, self.spec = spec, spec.spec
        self.lang, self.precision, self.carry, self.detail = lang, precision, carry, detail

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

    def stem(self, directory: str | Path = ".") -> Path:
        """DIR/<name>.<lang>: the sheet's files add .html and .pdf."""
        return Path(directory) / f"{self.spec.name}.{self.lang}"

    def publication(self, directory: str | Path = ".") -> Publication:
        """The sheet for derive.typeset.publish, as DIR/<name>.<lang>.<format>: its
        verification starts now, and its draft (the sheet before the check is in) is typeset
        while it runs."""
        self.solving.start()
        draft = self._builder.document(None)
        return Publication(
            self.stem(directory),
            lambda: self.document,
            draft=draft,
            characters=self._builder.words(draft),
        )

    @functools.cached_property
    def document(self) -> Document:
        """The sheet, once its verification is in (raises if a check failed)."""
        return self._builder.document(self.solving.solution)

    @functools.cached_property
    def _rendered(self) -> Rendered:
        return Rendered(self.publication(), self.renderer)

    @property
    def html(self) -> str:
        """One self-contained file: fonts inlined, cut down to what the sheet uses."""
        return self._rendered.html

    @property
    def pdf(self) -> bytes:
        """The same page for WeasyPrint, fonts linked by file."""
        return self._rendered.pdf

    def write(self, directory: str | Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
        """Write DIR/<name>.<lang>.<format> for each format, all or none; returns the paths."""
        check_writable(paths([self.stem(directory)], formats))
        return write_all(publish([self.publication(directory)], formats, self.renderer))

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
    workers: Workers | None = None,
) -> Iterator[Sheet]:
    """Every spec in every language, in that order: one Solving per spec shared by its
    languages, one renderer for all. The next spec's verification starts while this spec's
    sheets are typeset, so the workers stay one spec ahead (not hundreds of specs at once)."""
    names = [spec.name for spec in specs]
    for name in names:
        if names.count(name) > 1:
            sources = " and ".join(s.source for s in specs if s.name == name)
            raise InputError(sources, "", f"two specs named {name!r} would write the same files")
    renderer = HtmlRenderer(workers)
    solvings = [Solving(spec, renderer.workers) for spec in specs]
    for k, solving in enumerate(solvings):
        solving.start()
        if k + 1 < len(solvings):
            solvings[k + 1].start()
        for lang in langs:
            yield Sheet(solving, lang, precision, carry, renderer, detail)


def start_workers(workers: Workers, sheet_count: int, formats: tuple[str, ...]) -> None:
    """The workers a run of sheets uses, started now: their imports (PyTorch, WeasyPrint)
    overlap this process's. A PDF worker per core, up to one per sheet: pages render side
    by side."""
    workers.start(VERIFY)
    if "pdf" in formats:
        workers.start(PDF, min(sheet_count, os.cpu_count() or 1))
    if "html" in formats:
        workers.start(FONTS)
