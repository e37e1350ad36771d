"""The class report of `derive grade`: per question the count of each verdict, the most common
slips, and a histogram of the scores, as a Document rendered like every sheet (HTML, PDF).

Made to print in black and white: verdicts carry their symbols (✓ ≈ ⇒ ✖ ○), and the
histogram's bars are rows of solid squares, drawn as text. Every number is computed in
derive.grading.grades; the template only lays the tables out.
"""

from __future__ import annotations

import functools
from pathlib import Path

from derive import __version__
from derive.grading.grades import (
    ALL_VERDICTS,
    EMPTY,
    SYMBOLS,
    ClassGrades,
    bar,
    bar_unit,
    histogram,
    marks_text,
    mean,
    median,
    number,
    slip_counts,
    verdict_counts,
)
from derive.sheets.document import Document, Group, Publication, Section, Table, paragraph
from derive.sheets.summary import shown_source
from derive.text.locale import fill, strings

MAX_SLIPS = 12  # rows of the slips table


class ClassReport:
    def __init__(self, grades: ClassGrades, lang: str) -> None:
        self.grades, self.lang = grades, lang

    @functools.cached_property
    def document(self) -> Document:
        words = strings(self.lang)["grade"]
        sections = (
            self._overview(),
            *self._not_graded(),
            self._questions(),
            self._slips(),
            self._scores(),
            self._roster(),
        )
        return Document(self.lang, words["title"], words["subtitle"], sections, self._footer())

    def _verdict_words(self) -> dict[str, str]:
        check = strings(self.lang)["check"]
        named = {**{v: check[v] for v in ALL_VERDICTS if v != EMPTY}, EMPTY: self._words[EMPTY]}
        return {v: f"{SYMBOLS[v]} {named[v]}" for v in ALL_VERDICTS}

    @functools.cached_property
    def _words(self) -> dict[str, str]:
        return strings(self.lang)["grade"]

    def _overview(self) -> Section:
        words, grades = self._words, self.grades
        top = number(grades.max)
        bad_rows = len({p.line for p in grades.responses.problems})
        used = len({g.variant for g in grades.grades})
        named = self._verdict_words()  # "✓ correct 1 · ≈ accepted 1 · ⇒ carried 0.5 · …"
        marks = " · ".join(f"{named[v]} {number(grades.marks.get(v, 0))}" for v in ALL_VERDICTS)
        exercises = grades.exercises
        scope = (
            fill(words["set_level"], level=exercises.level, seed=exercises.seed)
            if exercises.level is not None
            else fill(words["set_spec"], seed=exercises.seed)
        )
        average, middle = mean(grades), median(grades)
        rows = [
            (words["fact_set"], scope),
            (words["fact_students"], str(len(grades.grades))),
            (words["fact_not_graded"], str(bad_rows)),
            (
                words["fact_variants"],
                fill(words["variants_used"], used=used, total=len(grades.exercises.variants)),
            ),
            (
                words["fact_questions"],
                fill(
                    words["questions_listed"],
                    count=len(grades.names),
                    names=", ".join(n.label for n in grades.names),
                ),
            ),
            (words["fact_marks"], marks),
            (words["fact_max"], top),
        ]
        if average is not None and middle is not None:
            rows += [
                (words["fact_mean"], f"{number(average)} / {top}"),
                (words["fact_median"], f"{number(middle)} / {top}"),
            ]
        return Section("class", words["class_heading"], (Table(("", ""), tuple(rows), "facts"),))

    def _not_graded(self) -> tuple[Section, ...]:
        """Each row left out, by its line, with who it was and why (every reason of it)."""
        words, problems = self._words, self.grades.responses.problems
        if not problems:
            return ()
        reasons: dict[int, list[str]] = {}
        students = {}
        for p in problems:
            reasons.setdefault(p.line, []).append(p.reason(self.lang))
            students[p.line] = p.student or "—"
        rows = tuple((str(line), students[line], "; ".join(why)) for line, why in reasons.items())
        header = (words["col_line"], words["col_student"], words["col_reason"])
        blocks = (paragraph(words["rows_note"]), Table(header, rows, "class-rows"))
        return (Section("not-graded", words["rows_heading"], blocks),)

    def _roster(self) -> Section:
        """Every graded student: variant, score and the slips named in their wrong answers."""
        words, grades = self._words, self.grades
        top = number(grades.max)
        rows = tuple(
            (
                g.student,
                g.variant,
                f"{number(g.score)} / {top}",
                "; ".join(
                    f"{v.name.label} — {words[f'slip_{v.slip}']}" for v in g.verdicts if v.slip
                ),
            )
            for g in grades.grades
        )
        header = (
            words["col_student"],
            words["col_variant"],
            words["col_score"],
            words["col_slips"],
        )
        table = Table(header, rows, "class-roster")
        return Section(
            "students", words["roster_heading"], (paragraph(words["roster_note"]), table)
        )

    def _questions(self) -> Section:
        words, counts = self._words, verdict_counts(self.grades)
        named = self._verdict_words()
        header = (words["col_question"], *(named[v] for v in ALL_VERDICTS))
        rows = tuple((name.label, *(str(counts[name][v]) for v in ALL_VERDICTS)) for name in counts)
        table = Table(header, rows, "class-verdicts")
        return Section("questions", words["questions_heading"], (table,))

    def _slips(self) -> Section:
        words = self._words
        found = slip_counts(self.grades)
        if not found:
            return Section("slips", words["slips_heading"], (paragraph(words["no_slips"]),))
        rows = tuple(
            (name.label, words[f"slip_{slip}"], str(count))
            for name, slip, count in found[:MAX_SLIPS]
        )
        header = (words["col_question"], words["col_slip"], words["col_students"])
        blocks: tuple = (Table(header, rows, "class-slips"),)
        if len(found) > MAX_SLIPS:
            more = sum(count for _, _, count in found[MAX_SLIPS:])
            blocks += (paragraph(fill(words["more_slips"], count=more)),)
        return Section("slips", words["slips_heading"], blocks)

    def _scores(self) -> Section:
        words = self._words
        bins = histogram(self.grades)
        unit = bar_unit(bins)
        rows = tuple(
            (
                number(b.low) if b.low == b.high else f"{number(b.low)}–{number(b.high)}",
                str(b.students),
                bar(b.students, unit),
            )
            for b in bins
        )
        note = words["bar_one"] if unit == 1 else fill(words["bar_many"], unit=unit)
        header = (words["col_score"], words["col_students"], "")
        table = Table(header, rows, "class-histogram")
        together = Group("", (paragraph(note), table))  # on one page
        return Section("scores", words["scores_heading"], (together,))

    def _footer(self) -> tuple[str, ...]:
        words, grades = self._words, self.grades
        return (
            fill(words["footer_made_by"], version=__version__),
            fill(words["footer_responses"], responses=shown_source(grades.responses.source)),
            fill(
                words["footer_set"],
                set=shown_source(grades.exercises.source),
                digest=grades.exercises.digest[:16],
            ),
            fill(words["footer_options"], lang=self.lang, marks=marks_text(grades.marks)),
        )

    def publication(self, directory: Path = Path()) -> Publication:
        """DIR/report.<lang>.<format> (derive.typeset.publish)."""
        return Publication(directory / f"report.{self.lang}", lambda: self.document)
