"""Plain renderings of a check: the terminal report and the JSON list."""

from __future__ import annotations

from typing import Any

from derive.engine.names import Name
from derive.grading.checker import VERDICTS, Result
from derive.text.locale import fill, strings
from derive.text.numbers import MINUS


def note(result: Result, lang: str, printed: bool = False) -> str:
    """The note in words; `printed` (a feedback sheet) sets its numbers with a real minus and
    its names as students write them (o₁, ∂C/∂w₅), where the terminal and JSON keep ASCII."""
    key, fields = result.note
    if printed:
        fields = {**fields, "true": fields["true"].replace("-", MINUS)}
        if "names" in fields:
            fields["names"] = labels(fields["names"])
    return fill(strings(lang)["check"][f"note_{key}"], **fields)


def labels(names: str) -> str:
    """A note's names ("o1, dC/dz3") as students write them (o₁, ∂C/∂z₃)."""
    return ", ".join(Name.parse(n).label for n in names.split(", "))


def to_json(results: list[Result], lang: str) -> list[dict[str, Any]]:
    return [
        {
            "name": str(r.name),
            "claimed": r.claimed,
            "expected": r.expected,
            "verdict": r.verdict,
            "note": note(r, lang),
            "because_of": [str(n) for n in r.because_of],
        }
        for r in results
    ]


def summary(results: list[Result], lang: str) -> str:
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    return fill(strings(lang)["check"]["summary"], total=len(results), **counts)


def to_text(results: list[Result], lang: str) -> str:
    words = strings(lang)["check"]
    rows = [(words[r.verdict], str(r.name), r.claimed, r.expected, note(r, lang)) for r in results]
    header = (
        words["col_verdict"],
        words["col_name"],
        words["col_claimed"],
        words["col_expected"],
        words["col_note"],
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths)) + "  " + row[4]
        for row in [header, *rows]
    ]
    return "\n".join([*lines, "", summary(results, lang)])
