"""The feedback sheet of a check: each claimed number beside the correct worked step."""

from __future__ import annotations

import functools
from pathlib import Path

from derive.files import write_documents
from derive.grading.checker import Result
from derive.grading.feedback import note, summary
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Document, Group, Section, Table, document_strings
from derive.sheets.locale import paragraph, strings
from derive.sheets.numbers import MINUS
from derive.solution import Solution
from derive.typeset.fonts import words_css
from derive.typeset.html import Formulas, HtmlRenderer


def _minus(number: str) -> str:
    return number.replace("-", MINUS)


class FeedbackSheet:
    def __init__(
        self,
        solution: Solution,
        results: list[Result],
        lang: str,
        name: str,
        renderer: HtmlRenderer | None = None,
    ) -> None:
        self.solution, self.results, self.lang, self.name = solution, results, lang, name
        self.renderer = renderer or HtmlRenderer()

    @functools.cached_property
    def document(self) -> Document:
        words = strings(self.lang)["check"]
        solution = self.solution
        builder = DocumentBuilder(solution.derivation, solution.update, self.lang, 3, "exact")
        rows = tuple(
            (str(r.name), r.claimed, r.expected, words[r.verdict], note(r, self.lang))
            for r in self.results
        )
        header = tuple(
            words[k] for k in ("col_name", "col_claimed", "col_expected", "col_verdict", "col_note")
        )
        overview = Section(
            "summary",
            words["summary_heading"],
            (paragraph(summary(self.results, self.lang)), Table(header, rows, style="feedback")),
        )
        lines = []
        for r in self.results:
            claimed, expected = _minus(r.claimed), _minus(r.expected)
            said = paragraph(
                f"{words['col_claimed']}: {claimed} · {words['col_expected']}: {expected}"
                f" · {note(r, self.lang)}"
            )
            lines.append(
                Group(f"{r.name.label} · {words[r.verdict]}", (said, *builder.worked(r.name)))
            )
        details = Section("lines", words["lines_heading"], tuple(lines))
        footer = builder.document(self.solution.verification).footer
        return Document(self.lang, words["title"], words["subtitle"], (overview, details), footer)

    @functools.cached_property
    def _typeset(self) -> Formulas:
        return self.renderer.formulas(self.document)

    @functools.cached_property
    def html(self) -> str:
        words = words_css("".join(document_strings(self.document)))
        return self.renderer.html(self.document, self._typeset, words)

    @functools.cached_property
    def pdf(self) -> bytes:
        return self.renderer.pdf(self.document, self._typeset)()

    def write(self, directory: Path, formats: tuple[str, ...]) -> list[Path]:
        """Write DIR/<answers name>.feedback.<lang>.<format>; returns the paths."""
        render = {"pdf": lambda: self.pdf, "html": lambda: self.html.encode("utf-8")}
        return write_documents(directory, f"{self.name}.feedback.{self.lang}", formats, render)
