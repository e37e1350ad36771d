"""A class's responses: RESPONSES.csv → each student's claimed numbers, as written.

```
student,variant,h1,o1,C,dC/dw5,dC/dw1,w5'
kim,V01,0.387,0.532,0.0538,0.0447,0.0148,0.896
lee,V02,0.448,0.620,,0.0874,,0.791
```

The header is `student,variant,` then one column per quantity the set asks, in any order and
named as students write them (∂C/∂w5, δ3, w5′, spaces); each row one student; an empty cell
is a quantity not answered. The file is read with the limits of spec files (size, UTF-8, a
UTF-8 byte-order mark skipped). A problem in the header refuses the file; a problem in a row
(an unknown variant, a cell that is not a number, a wrong number of cells) leaves that row out
and is reported by line and column, and every other row is graded.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from derive.engine.names import Name
from derive.engine.source import decode, read_bytes
from derive.errors import InputError, one_line, shorten, shown
from derive.grading.answers import read_claim
from derive.grading.checker import Claim
from derive.grading.exercise_file import ExerciseFile
from derive.text.locale import fill, strings

MAX_RESPONSES_BYTES = 2_000_000  # a class of 5,000 with 8 answers each is about 0.4 MB
MAX_STUDENTS = 5_000
MAX_CELL_CHARS = 100
FIXED = ("student", "variant")
_MINUS = str.maketrans({"\u2212": "-"})  # a real minus sign, as a word processor writes it
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


class ProblemKind(StrEnum):
    """Why a row of RESPONSES.csv is not graded: each the [grade] words' `row_<kind>`."""

    CELLS = "cells"  # not as many cells as the header
    NO_STUDENT = "no_student"
    LONG_NAME = "long_name"
    CONTROL = "control"  # a control character in the name
    AGAIN = "again"  # a student's second row
    NO_VARIANT = "no_variant"
    NUMBER = "number"  # a cell that is not a number
    DECIMAL_COMMA = "decimal_comma"  # 0,25 for 0.25


@dataclass(frozen=True)
class Problem:
    """Why one row is not graded: a reason of the [grade] words (`row_<kind>`) and what fills
    it, so that stderr (in English) and the class report (in its language) say the same."""

    line: int
    column: int
    student: str  # the row's first cell, as written (shortened, one line): who it was
    kind: ProblemKind
    fields: tuple[tuple[str, str], ...] = ()

    def reason(self, lang: str, printed: bool = True) -> str:
        """A quantity named as the documents print it (∂C/∂w₅), or, not `printed`, as the
        file's header writes it (dC/dw5: stderr, for the teacher's editor)."""
        fields = dict(self.fields)
        label = fields.pop("label", None)
        if printed and label is not None:
            fields["quantity"] = label
        return fill(strings(lang)["grade"][f"row_{self.kind}"], **fields)

    def message(self, source: str) -> str:
        where = f"{source}: line {self.line}, column {self.column}"
        return f"{where}: {self.reason('en', printed=False)}"


@dataclass(frozen=True)
class Response:
    line: int
    student: str
    variant: str  # the set's id
    claims: tuple[Claim | None, ...]  # one per asked quantity, in the set's order; None: empty


@dataclass(frozen=True)
class Responses:
    source: str
    rows: tuple[Response, ...]
    problems: tuple[Problem, ...]

    def messages(self) -> list[str]:
        return [p.message(self.source) for p in self.problems]


def read_responses(path: str, exercises: ExerciseFile) -> Responses:
    """The rows that can be graded and the problems of the others; InputError (one line,
    naming line and column) for a file that cannot be read at all."""
    source = str(path)
    lines = _rows(decode(read_bytes(path, MAX_RESPONSES_BYTES), source), source)
    if not lines:
        raise InputError(source, "", "empty: expected a header student,variant,<quantities>")
    header_line, header = lines[0]
    columns = _header(source, header_line, header, exercises)
    if len(lines) == 1:
        raise InputError(source, "", "no students: the file has a header line only")
    rows: list[Response] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, cells in lines[1:]:
        found = _row(line, cells, len(header), columns, exercises, seen)
        if isinstance(found, Response):
            rows.append(found)
            seen[found.student] = line
        else:
            problems += found
    return Responses(source, tuple(rows), tuple(problems))


def _rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """(line where it starts, cells) of every row that is not blank."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if any(cell.strip() for cell in cells):  # a blank line or one of empty cells
                out.append((line, cells))
            if len(out) > MAX_STUDENTS + 1:
                raise InputError(source, "", f"more than {MAX_STUDENTS:,} students")
    except csv.Error as exc:
        raise InputError(source, f"line {start}", f"not valid CSV: {exc}") from None
    return out


def _header(source: str, line: int, header: list[str], exercises: ExerciseFile) -> dict[Name, int]:
    """Which column holds each asked quantity."""

    def fail(column: int | None, problem: str) -> InputError:
        where = f"line {line}" if column is None else f"line {line}, column {column}"
        return InputError(source, where, problem)

    asked = ", ".join(map(str, exercises.names))
    for column, expected in enumerate(FIXED, start=1):
        cell = header[column - 1].strip() if len(header) >= column else ""
        if cell.casefold() != expected:
            found = f"found {shown(cell)}" if cell else "found nothing"
            raise fail(
                column,
                f"expected {expected!r} ({found}); the header is "
                f"student,variant, then a column per quantity ({asked})",
            )
    columns: dict[Name, int] = {}
    for index, cell in enumerate(header[2:], start=2):
        column, text = index + 1, cell.strip()
        if len(text) > MAX_CELL_CHARS:
            raise fail(column, f"a header cell of {len(text):,} characters")
        try:
            name = Name.parse(text)
        except ValueError:
            raise fail(column, f"{shown(text)} is not a quantity name (asked: {asked})") from None
        if name not in exercises.names:
            close = difflib.get_close_matches(str(name), list(map(str, exercises.names)), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise fail(column, f"{shown(text)} is not asked by this set ({hint}asked: {asked})")
        if name in columns:
            raise fail(
                column, f"{shown(text)} again: the same quantity as column {columns[name] + 1}"
            )
        columns[name] = index
    missing = [str(n) for n in exercises.names if n not in columns]
    if missing:
        raise fail(None, f"no column for {', '.join(missing)} (the set asks: {asked})")
    return columns


def _name_problem(student: str, seen: dict[str, int]) -> tuple[ProblemKind, dict] | None:
    """What is wrong with a row's student name (and what fills its words), if anything."""
    if not student:
        return ProblemKind.NO_STUDENT, {}
    if len(student) > MAX_CELL_CHARS:
        return ProblemKind.LONG_NAME, {"length": f"{len(student):,}", "limit": MAX_CELL_CHARS}
    if any(unicodedata.category(c) == "Cc" for c in student):
        return ProblemKind.CONTROL, {}
    if student in seen:
        return ProblemKind.AGAIN, {"student": shown(student), "first": seen[student]}
    return None


def _row(
    line: int,
    cells: list[str],
    width: int,
    columns: dict[Name, int],
    exercises: ExerciseFile,
    seen: dict[str, int],
) -> Response | list[Problem]:
    """The row's response, or every problem found in it."""
    who = one_line(shorten(cells[0].strip()))

    def problem(column: int, kind: ProblemKind, **fields: object) -> Problem:
        return Problem(line, column, who, kind, tuple((k, str(v)) for k, v in fields.items()))

    if len(cells) != width:
        column = len(cells) + 1 if len(cells) < width else width + 1
        return [problem(column, ProblemKind.CELLS, found=len(cells), width=width)]
    problems: list[Problem] = []
    student = cells[0].strip()
    named = _name_problem(student, seen)
    if named is not None:
        problems.append(problem(1, named[0], **named[1]))
    variant = exercises.find(cells[1])
    if variant is None:
        ids = _ids(list(exercises.variants))
        problems.append(
            problem(2, ProblemKind.NO_VARIANT, variant=shown(cells[1].strip()), ids=ids)
        )
    claims: list[Claim | None] = []
    for name in exercises.names:
        column = columns[name]
        text = cells[column].strip()
        if not text:
            claims.append(None)
            continue
        try:
            if len(text) > MAX_CELL_CHARS:
                raise InputError("", "", f"a cell of {len(text):,} characters is not a number")
            claims.append(read_claim("", str(name), text.translate(_MINUS)))
        except InputError as exc:
            comma = _DECIMAL_COMMA.fullmatch(text)
            kind = ProblemKind.DECIMAL_COMMA if comma else ProblemKind.NUMBER
            found = problem(
                column + 1,
                kind,
                quantity=name,
                label=name.label,
                problem=exc.problem,
                cell=shown(text),
                point=text.replace(",", "."),  # its own value, as it should be written
            )
            problems.append(found)
    if problems or variant is None:
        return problems
    return Response(line, student, variant, tuple(claims))


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 6 else f"{ids[0]}…{ids[-1]}"
