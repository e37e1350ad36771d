"""The command line's argument types: each turns one option's text into a value, or says in
one line what it accepts (argparse shows it as `derive: COMMAND: --OPTION: …`)."""

from __future__ import annotations

import argparse

from derive.exercises.exercise_set import MAX_COUNT
from derive.exercises.questions import KINDS
from derive.grading import grades
from derive.sheet import FORMATS, MAX_PRECISION
from derive.sheets.locale import LANGUAGES


def count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_COUNT}")
    return int(value)


def seed(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise argparse.ArgumentTypeError("a whole number from 0 to 10^18")
    return int(value)


def kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        given = f"unknown kind {unknown[0]!r} " if unknown else ""
        raise argparse.ArgumentTypeError(
            f"{given}(choose from {', '.join(KINDS)}, comma-separated)"
        )
    return kinds


def languages(value: str) -> tuple[str, ...]:
    langs = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [lang for lang in langs if lang not in LANGUAGES]
    if unknown or not langs:
        given = f"unknown language {unknown[0]!r} " if unknown else ""
        choices = ", ".join(LANGUAGES)
        raise argparse.ArgumentTypeError(f"{given}(choose from {choices}, comma-separated)")
    return langs


def formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)}, comma-separated")
    return formats


def precision(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_PRECISION:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_PRECISION}")
    return int(value)


def marks(value: str) -> dict:
    try:
        return grades.parse_marks(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
