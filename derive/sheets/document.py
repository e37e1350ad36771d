"""The worked solution as a document: sections of text, formulas (LaTeX), tables and a figure.

Plain data, built by derive.sheets.builder from the verified computation; it holds no number
that is not already formatted, and renderers (derive.typeset) only lay it out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from derive.sheets.diagram import Diagram
from derive.text.locale import text_and_math


class BlockKind(StrEnum):
    """What a block of a document is: the template (sheet.html.j2) lays each out by it."""

    PARAGRAPH = "paragraph"
    FORMULA = "formula"
    TABLE = "table"
    FIGURE = "figure"
    CHART = "chart"
    GROUP = "group"


class DocumentKind(StrEnum):
    """What a document is: its page's class in HTML (sheet.css gives a booklet, a key and a
    training sheet their own page rules)."""

    SHEET = "sheet"  # a worked solution, a feedback sheet, a class report
    QUESTIONS = "questions"  # an exercise set's booklet: one page per variant
    KEY = "key"  # its answer key
    TRAINING = "training"


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[tuple[str, str], ...]  # ("text", words) or ("math", LaTeX)
    kind: ClassVar[BlockKind] = BlockKind.PARAGRAPH


def paragraph(template: str, **fields: object) -> Paragraph:
    """A locale string as a paragraph: its $…$ inline math apart from its words."""
    return Paragraph(text_and_math(template, **fields))


@dataclass(frozen=True)
class Formula:
    latex: str
    tag: str = ""  # set beside the line, as an equation's number (an answer key's Q1), or none
    kind: ClassVar[BlockKind] = BlockKind.FORMULA


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    style: str = "numbers"  # numbers: right-aligned after the first column; facts: label, text
    marks: tuple[str, ...] = ()  # a class per row (a feedback sheet's verdicts), or none
    columns: int = 1  # a long narrow table set in this many columns side by side on the page
    kind: ClassVar[BlockKind] = BlockKind.TABLE


@dataclass(frozen=True)
class Figure:
    diagram: Diagram
    caption: str
    kind: ClassVar[BlockKind] = BlockKind.FIGURE


@dataclass(frozen=True)
class Chart:
    """A chart of computed data (derive.verify.training_result's Comparison or Boundary),
    drawn by derive.typeset.charts; `labels` are its words in the document's language."""

    plot: str  # losses | paths | boundary
    data: Any
    labels: dict[str, str]
    caption: str
    kind: ClassVar[BlockKind] = BlockKind.CHART


@dataclass(frozen=True)
class Group:
    """Blocks kept together on one page (unless breakable), under an optional small heading."""

    title: str
    blocks: tuple
    mark: str = ""  # a class (a feedback sheet's verdict), or none
    breakable: bool = False  # may run on to the next page (a long table, a long derivation)
    leads: bool = False  # a heading and its notes: stays on the page of what follows
    kind: ClassVar[BlockKind] = BlockKind.GROUP


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    blocks: tuple
    new_page: bool = False  # starts a page (a variant of an exercise set)


@dataclass(frozen=True)
class Document:
    lang: str
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: tuple[str, ...]
    kind: DocumentKind = DocumentKind.SHEET


@dataclass(frozen=True)
class Publication:
    """A document to be written as DIR/<stem>.<format> for each format asked: what a document's
    owner (a sheet, a training sheet, a feedback sheet, a class report, an exercise set) hands
    to derive.typeset.publish. `build` makes the document and may wait (for a verification):
    meanwhile the `draft`, a part known before, is typeset, and the HTML file's fonts are cut
    to `characters` (every character the document may print outside its formulas) when they
    are known before. A PDF of `parts` is theirs, joined, its pages numbered per part; `units`
    counts its work for a progress bar."""

    stem: Path
    build: Callable[[], Document]
    draft: Document | None = None
    characters: str | None = None
    parts: tuple[Document, ...] = ()
    units: int = 1


def document_strings(value: object) -> list[str]:
    """Every string in a document: the words its fonts must cover."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        return [
            s for f in dataclasses.fields(value) for s in document_strings(getattr(value, f.name))
        ]
    if isinstance(value, tuple | list):
        return [s for item in value for s in document_strings(item)]
    return []


def blocks(value: object) -> Iterator[object]:
    """Every block of a document (or section, group, list of them), groups opened, in order."""
    if isinstance(value, Document):
        yield from blocks(value.sections)
    elif isinstance(value, Section | Group):
        yield from blocks(value.blocks)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from blocks(item)
    else:
        yield value


def formulas(value: object) -> list[tuple[str, bool]]:
    """Every formula of a document as (LaTeX, display), in order: what must be typeset."""
    found: list[tuple[str, bool]] = []
    for block in blocks(value):
        if isinstance(block, Formula):
            found.append((block.latex, True))
        elif isinstance(block, Paragraph):
            found += [(part, False) for kind, part in block.parts if kind == "math"]
    return found


def charts(value: object) -> list[Chart]:
    """Every chart of a document, in order: what must be drawn."""
    return [block for block in blocks(value) if isinstance(block, Chart)]
