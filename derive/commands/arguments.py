"""The command line's argument types: each turns one option's text into a value, or says in
one line what it accepts (argparse shows it as `derive: COMMAND: --OPTION: …`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from derive.exercises.exercise_set import MAX_COUNT
from derive.exercises.questions import KINDS, QuestionKind
from derive.grading import grades
from derive.sheet import FORMATS, MAX_PRECISION
from derive.text.locale import LANGUAGES

SPEC_HELP = "spec file (TOML, or JSON by its .json suffix); default: the built-in seed example"


def count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_COUNT}")
    return int(value)


def seed(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise argparse.ArgumentTypeError("a whole number from 0 to 10^18")
    return int(value)


def names(value: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    """A comma-separated list of `allowed` names, repeats dropped, in the order given."""
    given = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [name for name in given if name not in allowed]
    if unknown or not given:
        prefix = f"unknown {what} {unknown[0]!r} " if unknown else ""
        raise argparse.ArgumentTypeError(
            f"{prefix}(choose from {', '.join(allowed)}, comma-separated)"
        )
    return given


def kinds(value: str) -> tuple[QuestionKind, ...]:
    return tuple(map(QuestionKind, names(value, KINDS, "kind")))


def languages(value: str) -> tuple[str, ...]:
    return names(value, LANGUAGES, "language")


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


def add_file_options(parser: argparse.ArgumentParser) -> None:
    """-o DIR, --format and --lang, as every command that writes sheets takes them."""
    parser.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="output directory (default: output)"
    )
    parser.add_argument(
        "--format",
        default="html,pdf",
        type=formats,
        help="comma-separated: html, pdf (default: html,pdf)",
    )
    parser.add_argument(
        "--lang",
        default=("en",),
        type=languages,
        help="comma-separated: en, ko (default: en)",
    )
