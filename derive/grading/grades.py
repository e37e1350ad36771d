"""Grading a class: every student's row checked against the verified worked solution of their
variant; scores, the class's counts, slips and score histogram; grades.csv, JSON and text.

Plain data throughout: the class report (derive.grading.class_report) only formats it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from derive.engine.exact import round_fixed
from derive.engine.names import Name
from derive.grading.checker import VERDICTS, Claim, Result, check
from derive.grading.exercise_file import ExerciseFile, Solved
from derive.grading.feedback import note
from derive.grading.feedback_sheet import MARKS
from derive.grading.responses import Response, Responses
from derive.text.locale import fill, strings

EMPTY = "empty"
ALL_VERDICTS = (*VERDICTS, EMPTY)
# a symbol per verdict, as on the feedback sheet; ○ (NanumGothic) for a quantity not answered
SYMBOLS = {**MARKS, EMPTY: "○"}
DEFAULT_MARKS = {
    "correct": Decimal(1),
    "accepted": Decimal(1),
    "carried": Decimal("0.5"),
    "wrong": Decimal(0),
}
MAX_MARK = Decimal(1000)
MARK_DECIMALS = 4
# the checker's notes that are not a slip: every other note of a wrong claim names one
NOT_SLIPS = ("correct", "last_digit", "rounded_carry", "own_rounding", "carried", "wrong")
MIN_HISTOGRAM_ROWS, MAX_HISTOGRAM_ROWS = 8, 25  # rows about 2√N for N students, within these
WIDTHS = (1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500)  # a row's width, in marks' steps
MAX_BAR = 40  # squares in the longest bar
_MARK = re.compile(r"\d{1,4}(\.\d+)?")
# what a spreadsheet reads as the start of a formula (OWASP, CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def parse_marks(text: str) -> dict[str, Decimal]:
    """`correct=1,accepted=1,carried=0.5,wrong=0` (any of them; the rest keep their
    defaults): each from 0 to the mark of a correct answer, which is above 0; ValueError
    with the problem in a few words."""
    marks = dict(DEFAULT_MARKS)
    given: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        key, equals, value = (s.strip() for s in part.partition("="))
        if not equals or key not in marks:
            raise ValueError(
                f"{part!r} is not verdict=mark (verdicts: {', '.join(DEFAULT_MARKS)}; "
                "e.g. correct=1,accepted=1,carried=0.5,wrong=0)"
            )
        if key in given:
            raise ValueError(f"{key} given twice")
        if not _MARK.fullmatch(value) or len(value.partition(".")[2]) > MARK_DECIMALS:
            raise ValueError(
                f"{key}={value}: a mark is a number from 0 to {MAX_MARK} with at most "
                f"{MARK_DECIMALS} decimals"
            )
        marks[key], given = Decimal(value), given | {key}
    if not 0 < marks["correct"] <= MAX_MARK:
        raise ValueError(f"correct={marks['correct']}: must be above 0 and at most {MAX_MARK}")
    for key, mark in marks.items():
        if mark > marks["correct"]:
            raise ValueError(f"{key}={mark} is more than a correct answer's {marks['correct']}")
    return marks


def marks_text(marks: dict[str, Decimal]) -> str:
    return ",".join(f"{k}={number(v)}" for k, v in marks.items())


@dataclass(frozen=True)
class Verdict:
    name: Name
    claimed: str | None  # as written; None: left empty
    expected: str  # the true value at the digits written (or asked, when empty)
    verdict: str  # correct | accepted | carried | wrong | empty
    result: Result | None  # the checker's, for a claim

    @property
    def slip(self) -> str | None:
        """The checker's named slip of a wrong claim, if it found one."""
        if self.result is None or self.verdict != "wrong":
            return None
        key = self.result.note[0]
        return None if key in NOT_SLIPS else key

    @property
    def because_of(self) -> tuple[Name, ...]:
        return self.result.because_of if self.result else ()

    def note(self, lang: str, printed: bool = False) -> str:
        if self.result is not None:
            return note(self.result, lang, printed)
        return fill(strings(lang)["grade"]["note_empty"], true=self.expected)


@dataclass(frozen=True)
class Grade:
    line: int
    student: str
    variant: str
    score: Decimal
    max: Decimal
    verdicts: tuple[Verdict, ...]  # in the set's order of names


@dataclass(frozen=True)
class ClassGrades:
    exercises: ExerciseFile
    responses: Responses
    marks: dict[str, Decimal]
    grades: tuple[Grade, ...]  # in the order of the rows

    @property
    def names(self) -> tuple[Name, ...]:
        return self.exercises.names

    @property
    def max(self) -> Decimal:
        return len(self.names) * self.marks["correct"]


def grade_class(
    exercises: ExerciseFile, responses: Responses, marks: dict[str, Decimal]
) -> ClassGrades:
    """Each row graded against its variant, derived and verified once (in the set's order
    of variants, whatever the order of rows)."""
    used = {r.variant for r in responses.rows}
    solved = {v: exercises.solved(v) for v in exercises.variants if v in used}
    grades = tuple(grade(r, solved[r.variant], marks) for r in responses.rows)
    return ClassGrades(exercises, responses, marks, grades)


def grade(response: Response, variant: Solved, marks: dict[str, Decimal]) -> Grade:
    claims = [c for c in response.claims if c is not None]
    solution = variant.solution
    found = check(solution.batch, solution.update, claims, variant.shared)
    results = {r.name: r for r in found}
    verdicts = []
    for question, claim in zip(variant.questions, response.claims):
        verdicts.append(_verdict(question.name, question.answer, question.decimals, claim, results))
    score = sum((marks.get(v.verdict, Decimal(0)) for v in verdicts), Decimal(0))
    top = len(verdicts) * marks["correct"]
    return Grade(response.line, response.student, response.variant, score, top, tuple(verdicts))


def _verdict(
    name: Name, answer: Decimal, decimals: int, claim: Claim | None, results: dict[Name, Result]
) -> Verdict:
    if claim is None:
        return Verdict(name, None, f"{round_fixed(answer, decimals):f}", EMPTY, None)
    result = results[name]
    return Verdict(name, result.claimed, result.expected, result.verdict, result)


def number(value: Decimal) -> str:
    """A score as people write it: 4.5, 6, 0.25 (never 6.0 or 6E+0)."""
    text = f"{value.normalize():f}" if value else "0"
    return text


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def to_json(grades: ClassGrades, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "student": g.student,
            "variant": g.variant,
            "score": _json_number(g.score),
            "max": _json_number(g.max),
            "verdicts": [
                {
                    "name": str(v.name),
                    "claimed": v.claimed,
                    "expected": v.expected,
                    "verdict": v.verdict,
                    "note": v.note(lang),
                    "because_of": [str(n) for n in v.because_of],
                }
                for v in g.verdicts
            ],
        }
        for g in grades.grades
    ]


def grades_csv(grades: ClassGrades) -> bytes:
    """student, variant, score, max and a verdict per quantity, in the order of the rows:
    UTF-8 with a byte-order mark and CRLF line ends, so that a spreadsheet opens Hangul
    names as written. Every text cell is inert: one a spreadsheet would run as a formula
    (a student named =HYPERLINK(…)) starts with ', as OWASP advises; scores stay numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["student", "variant", "score", "max", *map(str, grades.names)])
    for g in grades.grades:
        row = [inert(g.student), inert(g.variant), number(g.score), number(g.max)]
        writer.writerow(row + [v.verdict for v in g.verdicts])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def inert(text: str) -> str:
    """A text cell a spreadsheet shows as written, never runs: ' before a formula's start."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_text(grades: ClassGrades, lang: str) -> str:
    """A table for the terminal: a row per student, a verdict symbol per quantity."""
    symbols = SYMBOLS
    header = ["student", "variant", "score", *map(str, grades.names)]
    rows = [
        [g.student, g.variant, f"{number(g.score)}/{number(g.max)}"]
        + [symbols[v.verdict] for v in g.verdicts]
        for g in grades.grades
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    words = {**strings(lang)["check"], EMPTY: strings(lang)["grade"]["empty"]}
    legend = "  ".join(f"{symbols[v]} {words[v]}" for v in ALL_VERDICTS)
    summary = fill(
        strings(lang)["grade"]["text_summary"],
        graded=len(grades.grades),
        bad=len({p.line for p in grades.responses.problems}),
    )
    return "\n".join([*lines, "", legend, summary])


# the class's numbers, for the report


def verdict_counts(grades: ClassGrades) -> dict[Name, dict[str, int]]:
    """For each quantity, how many students got each verdict."""
    counts = {n: dict.fromkeys(ALL_VERDICTS, 0) for n in grades.names}
    for g in grades.grades:
        for v in g.verdicts:
            counts[v.name][v.verdict] += 1
    return counts


def slip_counts(grades: ClassGrades) -> list[tuple[Name, str, int]]:
    """(quantity, slip, students) of every slip the checker named, the most common first
    (then in the order of the quantities and of the checker's notes)."""
    found = Counter((v.name, v.slip) for g in grades.grades for v in g.verdicts if v.slip)
    order = list(strings("en")["check"])
    ranked = sorted(
        found.items(),
        key=lambda item: (
            -item[1],
            grades.names.index(item[0][0]),
            order.index(f"note_{item[0][1]}"),
        ),
    )
    return [(name, slip, count) for (name, slip), count in ranked]


@dataclass(frozen=True)
class Bin:
    low: Decimal  # the lowest possible score in it
    high: Decimal  # the highest
    students: int


def histogram(grades: ClassGrades) -> list[Bin]:
    """Students per score, lowest first. A row for every possible score (the multiples of the
    marks' common step) when there are rows enough students to fill them: about 2√N for N
    students, from MIN_HISTOGRAM_ROWS to MAX_HISTOGRAM_ROWS; else rows of the narrowest width
    (a whole mark, two, …) that keeps within that, each named by the lowest and highest score
    it can hold. Full marks always have a row of their own."""
    top, step = grades.max, _step(grades.marks)
    scores = Counter(g.score for g in grades.grades)
    wanted = round(2 * math.sqrt(len(grades.grades)))
    rows = min(MAX_HISTOGRAM_ROWS, max(MIN_HISTOGRAM_ROWS, wanted))
    width = next((step * w for w in WIDTHS if top / (step * w) + 1 <= rows), top)
    possible = [step * k for k in range(int(top / step) + 1)]
    bins = []
    low = Decimal(0)
    while low < top:
        inside = [s for s in possible if low <= s < min(low + width, top)]
        bins.append(Bin(inside[0], inside[-1], sum(scores[s] for s in inside)))
        low += width
    return [*bins, Bin(top, top, scores[top])]


def _step(marks: dict[str, Decimal]) -> Decimal:
    """The largest number every mark is a whole multiple of."""
    scale = Decimal(10) ** MARK_DECIMALS
    whole = [int(m * scale) for m in marks.values()]
    return Decimal(math.gcd(*whole)) / scale


def bar(students: int, unit: int) -> str:
    """A bar of squares (■, solid in black and white), one per `unit` students or part."""
    return "■" * -(-students // unit)


def bar_unit(bins: list[Bin]) -> int:
    """Students per square: 1, unless the longest bar would exceed MAX_BAR squares."""
    most = max((b.students for b in bins), default=0)
    return max(1, -(-most // MAX_BAR))


def mean(grades: ClassGrades) -> Decimal | None:
    scores = [g.score for g in grades.grades]
    return round_fixed(sum(scores, Decimal(0)) / len(scores), 2) if scores else None


def median(grades: ClassGrades) -> Decimal | None:
    scores = [g.score for g in grades.grades]
    return statistics.median(scores) if scores else None
