"""Command line: `derive solve` and `derive sheet`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from derive import __version__
from derive.engine.spec import load_spec
from derive.errors import DeriveError
from derive.grading import feedback
from derive.grading.answers import check_names, load_answers
from derive.grading.checker import check
from derive.grading.feedback_sheet import FeedbackSheet
from derive.grading.quantities import quantities
from derive.report import to_json, to_text
from derive.sheet import CARRIES, FORMATS, MAX_PRECISION, Sheet
from derive.sheets.locale import LANGUAGES
from derive.solution import solve

SPEC_HELP = "spec file (TOML, or JSON by its .json suffix); default: the built-in seed example"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive",
        description="Verified, step-by-step backpropagation worked solutions for small MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    solve_cmd = commands.add_parser(
        "solve",
        help="forward pass, loss, every gradient and one update, verified four ways",
        description="Print forward values, loss, gradients, updated parameters and the "
        "four-way verification table (chain rule, SymPy, PyTorch autograd, finite differences).",
    )
    solve_cmd.add_argument("spec", nargs="?", metavar="SPEC", help=SPEC_HELP)
    solve_cmd.add_argument(
        "--json", action="store_true", help="print one JSON object with full float precision"
    )
    sheet = commands.add_parser(
        "sheet",
        help="write the worked-solution handout as HTML and PDF",
        description="Write DIR/<name>.<lang>.html and .pdf (name: the spec file's stem, or "
        "'seed') and print their paths. Every number comes from the verified derivation.",
    )
    sheet.add_argument("spec", nargs="?", metavar="SPEC", help=SPEC_HELP)
    sheet.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="output directory (default: output)"
    )
    sheet.add_argument(
        "--format",
        default="html,pdf",
        type=_formats,
        help="comma-separated: html, pdf (default: html,pdf)",
    )
    sheet.add_argument("--lang", default="en", choices=LANGUAGES, help="language (default: en)")
    sheet.add_argument(
        "--precision",
        default=3,
        type=_precision,
        metavar="N",
        help="decimals shown (default: 3; small values keep N significant digits)",
    )
    sheet.add_argument(
        "--carry",
        default="exact",
        choices=CARRIES,
        help="exact: full precision, rounded for display (default); rounded: every "
        "intermediate rounded to N decimals before use, as by hand",
    )
    check = commands.add_parser(
        "check",
        help="grade a hand calculation: a verdict for every number, errors carried forward",
        description="Hold each claimed value of an answers file (TOML or JSON: optional "
        "spec = PATH, and an [answers] table of name = value) against the verified worked "
        "solution. Verdicts: correct, accepted, carried, wrong (with the slip, where one "
        "reproduces the digits). Exit 0 if nothing is wrong or carried, 1 otherwise, 2 on "
        "bad input.",
    )
    check.add_argument("answers", metavar="ANSWERS", help="answers file")
    check.add_argument("--spec", metavar="SPEC", help="spec file (overrides the answers file's)")
    check.add_argument("--json", action="store_true", help="print a JSON list of verdicts")
    check.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the notes")
    check.add_argument(
        "--format",
        type=_formats,
        help="also write a feedback sheet: comma-separated html, pdf (to -o DIR)",
    )
    check.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="output directory (default: output)"
    )
    return parser


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(FORMATS)}, comma-separated")
    return formats


def _precision(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_PRECISION:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_PRECISION}")
    return int(value)


def _solve(args: argparse.Namespace) -> None:
    solution = solve(load_spec(args.spec))
    if args.json:
        print(json.dumps(to_json(solution), ensure_ascii=False))
    else:
        print(to_text(solution))


def _sheet(args: argparse.Namespace) -> None:
    sheet = Sheet(load_spec(args.spec), args.lang, args.precision, args.carry)
    for path in sheet.write(Path(args.output), args.format):
        print(path)


def _check(args: argparse.Namespace) -> int:
    spec, claims = load_answers(args.answers, args.spec)
    solution = solve(spec)
    table = quantities(solution.derivation.network, solution.update.rule)
    check_names(args.answers, claims, list(table))
    results = check(solution.derivation, solution.update, claims)
    if args.format:
        report = FeedbackSheet(solution, results, args.lang, Path(args.answers).stem)
        for path in report.write(Path(args.output), args.format):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(feedback.to_json(results, args.lang), ensure_ascii=False))
    else:
        print(feedback.to_text(results, args.lang))
    return 1 if any(r.verdict in ("wrong", "carried") for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {"solve": _solve, "sheet": _sheet, "check": _check}
        return commands[args.command](args) or 0
    except DeriveError as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return exc.exit_code
