"""The feedback sheet of a check: each claimed number beside the correct worked step.

It is handed back on paper, often printed in black and white: every verdict carries a symbol
as well as a colour, and numbers and names are set as on the worked-solution sheet.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from derive import __version__
from derive.engine.batch import derive_batch
from derive.engine.training import descend
from derive.grading.checker import Result
from derive.grading.feedback import labels, note, summary
from derive.grading.own_numbers import OwnNumbers
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Document, Group, Publication, Section, Table, paragraph
from derive.sheets.summary import shown_source, shown_spec, spec_digest
from derive.solution import Solution
from derive.text.locale import fill, strings
from derive.text.numbers import MINUS

# one symbol per verdict, each in the sheet's fonts (✓ ≈ ⇒ from STIX Two Math, ✖ NanumGothic):
# ⇒ for carried, "follows from an earlier error", the boldest arrow STIX has
MARKS = {"correct": "✓", "accepted": "≈", "carried": "⇒", "wrong": "✖"}


def _minus(number: str) -> str:
    return number.replace("-", MINUS)


class FeedbackSheet:
    def __init__(
        self,
        solution: Solution,
        results: list[Result],
        lang: str,
        name: str,
        answers: str | Path | None = None,
    ) -> None:
        """`name` names the files; `answers` is the answers file as given, for the footer
        (its name when absent)."""
        self.solution, self.results, self.lang, self.name = solution, results, lang, name
        self.answers = shown_source(str(answers)) if answers is not None else name

    @functools.cached_property
    def document(self) -> Document:
        words = strings(self.lang)["check"]
        solution = self.solution
        builder = DocumentBuilder(solution.batch, solution.update, self.lang, 3, "exact")
        verdicts = {v: f"{MARKS[v]} {words[v]}" for v in MARKS}
        rows = tuple(
            (
                r.name.label,
                _minus(r.claimed),
                _minus(r.expected),
                verdicts[r.verdict],
                note(r, self.lang, printed=True),
            )
            for r in self.results
        )
        header = tuple(
            words[k] for k in ("col_name", "col_claimed", "col_expected", "col_verdict", "col_note")
        )
        classes = tuple(f"verdict-{r.verdict}" for r in self.results)
        table = Table(header, rows, style="feedback", marks=classes)
        overview = Section(
            "summary",
            words["summary_heading"],
            (paragraph(summary(self.results, self.lang)), table),
        )
        lines = []
        for r in self.results:
            claimed, expected = _minus(r.claimed), _minus(r.expected)
            why = self._why(r)  # says the note in full where it has one
            said = f"{words['col_claimed']}: {claimed} · {words['col_expected']}: {expected}"
            if not why:
                said += f" · {note(r, self.lang, printed=True)}"
            title = f"{MARKS[r.verdict]} {r.name.label} · {words[r.verdict]}"
            blocks = (paragraph(said), *why, *builder.worked(r.name))
            lines.append(Group(title, blocks, mark=f"verdict-{r.verdict}"))
        details = Section("lines", words["lines_heading"], tuple(lines))
        return Document(
            self.lang, words["title"], words["subtitle"], (overview, details), self._footer()
        )

    def _why(self, result: Result) -> tuple:
        """Why an accepted or carried claim stands, with its line as the student's own numbers
        (or values rounded by hand) give it; the exact line follows. A line never shows the
        student's arithmetic with another result than theirs."""
        words = strings(self.lang)["check"]
        key, fields = result.note
        if key not in ("own_rounding", "carried", "rounded_carry", "last_digit"):
            return ()
        shown = {**fields, "true": _minus(fields["true"])}
        if "names" in fields:
            shown["names"] = labels(fields["names"])
        said = paragraph(words[f"why_{key}"], **shown)
        if key == "last_digit":
            return (said,)
        if key == "rounded_carry":
            lines = self._by_hand(int(fields["places"])).worked(result.name)
        else:
            lines = self._own.worked(result.name, Decimal(result.claimed))
        return (said, *lines, paragraph(words["why_exact"]))

    @functools.cached_property
    def _own(self) -> OwnNumbers:
        claims = {r.name: Decimal(r.claimed) for r in self.results}
        return OwnNumbers(self.solution.batch, self.solution.update, claims, self.lang)

    def _by_hand(self, places: int) -> DocumentBuilder:
        """The worked solution with every intermediate rounded to `places`, as by hand."""
        batch = derive_batch(self.solution.batch.network, places)
        return DocumentBuilder(batch, descend(batch), self.lang, places, "rounded")

    def _footer(self) -> tuple[str, ...]:
        """check's own footer: what was graded against what, and how to get this sheet again."""
        words, spec = strings(self.lang)["check"], self.solution.spec
        return (
            fill(words["footer_made_by"], version=__version__),
            fill(words["footer_answers"], answers=self.answers),
            fill(
                words["footer_spec"],
                source=shown_spec(spec, self.lang),
                digest=spec_digest(spec)[:16],
            ),
            fill(words["footer_options"], lang=self.lang),
        )

    def publication(self, directory: Path = Path()) -> Publication:
        """DIR/<answers name>.feedback.<lang>.<format> (derive.typeset.publish)."""
        return Publication(directory / f"{self.name}.feedback.{self.lang}", lambda: self.document)
