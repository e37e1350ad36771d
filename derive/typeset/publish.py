"""One way from documents to files: each Publication in each format asked, made with the run's
renderer and workers, returned as {path: contents} for derive.files.write_all (all or none).

A format is a class with `starts` (formats start in that order: the slowest first) that is
made for a publication before its document is built (an HTML file's fonts, a PDF worker's
import begin then) and whose start(document, typeset) returns the function that finishes
the file. A new format is one module and one entry in FORMATS.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from derive.progress import Progress
from derive.sheets.document import Document, Publication, charts
from derive.typeset.html import Formulas, HtmlFile, HtmlRenderer
from derive.typeset.pdf import PdfFile


class FileFormat(Protocol):
    starts: int

    def start(self, document: Document, typeset: Formulas) -> Callable[[], bytes]: ...


FORMATS: dict[str, Callable[[HtmlRenderer, Publication], FileFormat]] = {
    "html": HtmlFile,
    "pdf": PdfFile,
}


def paths(stems: Iterable[Path], formats: Sequence[str]) -> list[Path]:
    """DIR/<stem>.<format> of each stem and format, in that order: the files publish() makes
    of publications with these stems."""
    return [_path(stem, fmt) for stem in stems for fmt in formats]


def publish(
    publications: Iterable[Publication],
    formats: Sequence[str],
    renderer: HtmlRenderer,
    progress: Progress | None = None,
    ahead: int = 1,
) -> dict[Path, bytes]:
    """{path: contents} of every publication in every format, in that order. Up to `ahead`
    publications are built (the iterable may build each on demand) and typeset here while
    the workers make the files of the one before them, which is then finished."""
    files: dict[Path, bytes] = {}
    finishing: deque[Callable[[], dict[Path, bytes]]] = deque()
    for publication in publications:
        finishing.append(_start(publication, formats, renderer, progress))
        if len(finishing) > ahead:
            files.update(finishing.popleft()())
    while finishing:
        files.update(finishing.popleft()())
    return files


def _start(
    publication: Publication,
    formats: Sequence[str],
    renderer: HtmlRenderer,
    progress: Progress | None,
) -> Callable[[], dict[Path, bytes]]:
    """Build and typeset the publication here, start its files on the workers; the returned
    function finishes them."""
    name, units = publication.stem.name, publication.units
    _step(progress, name, 0)
    order = sorted(formats, key=lambda fmt: FORMATS[fmt].starts)  # type: ignore[attr-defined]
    makers = {fmt: FORMATS[fmt](renderer, publication) for fmt in order}
    if publication.draft is not None:  # typeset while the document waits (for its check)
        renderer.formulas(publication.draft)
    document = publication.build()
    renderer.charts.start(charts(document))
    typeset: Formulas = {}
    started = {fmt: maker.start(document, typeset) for fmt, maker in makers.items()}
    _step(progress, name, units)

    def finish() -> dict[Path, bytes]:
        _step(progress, f"{name} files", 0)
        files = {_path(publication.stem, fmt): started[fmt]() for fmt in formats}
        _step(progress, f"{name} files", units)
        return files

    return finish


class Rendered:
    """A publication's files one at a time, each made once (the notebook API, tests)."""

    def __init__(self, publication: Publication, renderer: HtmlRenderer | None = None) -> None:
        self.publication, self.renderer = publication, renderer or HtmlRenderer()
        self._made: dict[str, bytes] = {}

    def file(self, fmt: str) -> bytes:
        if fmt not in self._made:
            made = publish([self.publication], (fmt,), self.renderer)
            self._made[fmt] = made[_path(self.publication.stem, fmt)]
        return self._made[fmt]

    @property
    def html(self) -> str:
        return self.file("html").decode("utf-8")

    @property
    def pdf(self) -> bytes:
        return self.file("pdf")


def _path(stem: Path, fmt: str) -> Path:
    return stem.with_name(f"{stem.name}.{fmt}")


def _step(progress: Progress | None, what: str, units: int) -> None:
    if progress is not None:
        progress.step(what, units)
