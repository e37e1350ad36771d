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

from derive.engine.names import Name
from derive.engine.source import decode, read_bytes
from derive.errors import InputError, shown
from derive.grading.answers import read_claim
from derive.grading.checker import Claim
from derive.grading.exercise_file import ExerciseFile

MAX_RESPONSES_BYTES = 2_000_000  # a class of 5,000 with 8 answers each is about 0.4 MB
MAX_STUDENTS = 5_000
MAX_CELL_CHARS = 100
FIXED = ("student", "variant")
_MINUS = str.maketrans({"\u2212": "-"})  # a real minus sign, as a word processor writes it
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


@dataclass(frozen=True)
class Problem:
    """Why one row is not graded."""

    line: int
    column: int
    text: str

    def message(self, source: str) -> str:
        return f"{source}: line {self.line}, column {self.column}: {self.text}"


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


def _row(
    line: int,
    cells: list[str],
    width: int,
    columns: dict[Name, int],
    exercises: ExerciseFile,
    seen: dict[str, int],
) -> Response | list[Problem]:
    """The row's response, or every problem found in it."""
    if len(cells) != width:
        column = len(cells) + 1 if len(cells) < width else width + 1
        return [Problem(line, column, f"{len(cells)} cells where the header has {width}")]
    problems: list[Problem] = []
    student = cells[0].strip()
    if not student:
        problems.append(Problem(line, 1, "no student"))
    elif len(student) > MAX_CELL_CHARS:
        problems.append(
            Problem(line, 1, f"a name of {len(student):,} characters (at most {MAX_CELL_CHARS})")
        )
    elif any(unicodedata.category(c) == "Cc" for c in student):
        problems.append(Problem(line, 1, "the name holds a control character"))
    elif student in seen:
        problems.append(Problem(line, 1, f"{shown(student)} again (first on line {seen[student]})"))
    variant = exercises.find(cells[1])
    if variant is None:
        problems.append(
            Problem(
                line,
                2,
                f"no variant {shown(cells[1].strip())} in the set "
                f"({_ids(list(exercises.variants))})",
            )
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
            hint = " (write a decimal point: 0.47)" if _DECIMAL_COMMA.fullmatch(text) else ""
            problems.append(Problem(line, column + 1, f"{name}: {exc.problem}{hint}"))
    if problems or variant is None:
        return problems
    return Response(line, student, variant, tuple(claims))


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 6 else f"{ids[0]}…{ids[-1]}"
