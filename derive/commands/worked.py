"""`derive solve`, `sheet` and `check`: one spec's worked solution, as a report, as sheets, and
held against a student's answers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from derive.commands import arguments
from derive.commands.arguments import SPEC_HELP
from derive.engine.quantities import batch_quantities
from derive.engine.spec import load_spec
from derive.files import check_writable, write_all
from derive.grading import feedback
from derive.grading.answers import check_names, load_answers
from derive.grading.checker import check
from derive.grading.feedback_sheet import FeedbackSheet
from derive.report import to_json, to_text
from derive.sheet import CARRIES, sheets, start_workers
from derive.sheets.context import DETAILS
from derive.solution import solve
from derive.text.locale import LANGUAGES
from derive.typeset.html import HtmlRenderer
from derive.typeset.publish import paths, publish
from derive.workers import Workers


def add_commands(commands: argparse._SubParsersAction) -> None:
    """`solve`, `sheet` and `check`, in the command line's list."""
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
        description="Write DIR/<name>.<lang>.html and .pdf for every spec and language (name: "
        "the spec file's stem, or 'seed') and print their paths: all files, or none on any "
        "error. Every number comes from the verified derivation. A spec of several samples "
        "works each sample's chain rule (every one up to four, else the first), their mean "
        "and the step on it.",
    )
    sheet.add_argument(
        "spec",
        nargs="*",
        metavar="SPEC",
        help="spec files (TOML, or JSON by a .json suffix), each derived and verified once "
        "for all its languages; default: the built-in seed example",
    )
    arguments.add_file_options(sheet)
    sheet.add_argument(
        "--precision",
        default=3,
        type=arguments.precision,
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
    sheet.add_argument(
        "--detail",
        default="some",
        choices=DETAILS,
        help="some: the first 6 neurons and parameters of each layer worked in full, the rest "
        "in tables (default); all: every one in full",
    )
    check = commands.add_parser(
        "check",
        help="grade a hand calculation: a verdict for every number, errors carried forward",
        description="Hold each claimed value of an answers file (TOML or JSON: optional "
        "spec = PATH, and an [answers] table of name = value) against the verified worked "
        "solution. Verdicts: correct, accepted, carried, wrong (with the slip, where one "
        "reproduces the digits). With several samples a name carries its sample: h1^(2), "
        "dC^(2)/dw5; C, dC/dw5 and w5' are the batch's means and step. Exit 0 if nothing is "
        "wrong or carried, 1 otherwise, 2 on bad input.",
    )
    check.add_argument("answers", metavar="ANSWERS", help="answers file")
    check.add_argument("--spec", metavar="SPEC", help="spec file (overrides the answers file's)")
    check.add_argument("--json", action="store_true", help="print a JSON list of verdicts")
    check.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the notes")
    check.add_argument(
        "--format",
        type=arguments.formats,
        help="also write a feedback sheet: comma-separated html, pdf (to -o DIR; -o alone "
        "writes both)",
    )
    check.add_argument("-o", "--output", metavar="DIR", help="output directory (default: output)")


def solve_command(args: argparse.Namespace, workers: Workers) -> None:
    solution = solve(load_spec(args.spec))
    if args.json:
        print(json.dumps(to_json(solution), ensure_ascii=False))
    else:
        print(to_text(solution))


def sheet_command(args: argparse.Namespace, workers: Workers) -> None:
    specs = [load_spec(path) for path in args.spec or [None]]
    start_workers(workers, len(specs) * len(args.lang), args.format)
    run = list(sheets(specs, args.lang, args.precision, args.carry, args.detail, workers))
    directory = Path(args.output)
    check_writable(paths([sheet.stem(directory) for sheet in run], args.format))
    # one sheet's files are finished on the workers while the next is built
    publications = (sheet.publication(directory) for sheet in run)
    for path in write_all(publish(publications, args.format, run[0].renderer)):
        print(path)


def check_command(args: argparse.Namespace, workers: Workers) -> int:
    spec, claims = load_answers(args.answers, args.spec)
    solution = solve(spec)
    table = batch_quantities(solution.batch.network, solution.update.rule)
    check_names(args.answers, claims, list(table))
    results = check(solution.batch, solution.update, claims)
    if args.output and not args.format:  # a directory asked for: the sheet it is for
        args.format = ("html", "pdf")
    if args.format:
        report = FeedbackSheet(
            solution, results, args.lang, Path(args.answers).stem, answers=args.answers
        )
        publication = report.publication(Path(args.output or "output"))
        check_writable(paths([publication.stem], args.format))
        files = publish([publication], args.format, HtmlRenderer(workers))
        for path in write_all(files):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(feedback.to_json(results, args.lang), ensure_ascii=False))
    else:
        print(feedback.to_text(results, args.lang))
    return 1 if any(r.verdict in ("wrong", "carried") for r in results) else 0
