"""Command line: `derive solve`, `sheet`, `check`, (class_commands.py) `exercises` and `grade`,
and (train.py) `train`; every error one line."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

from derive import __version__
from derive.errors import DeriveError, one_line
from derive.files import check_writable, reason, write_all

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` gives for yes
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

try:  # importing SymPy takes a moment: Ctrl-C then still ends in one line
    from derive.commands import arguments, class_commands, train
    from derive.engine.quantities import batch_quantities
    from derive.engine.spec import load_spec
    from derive.grading import feedback
    from derive.grading.answers import check_names, load_answers
    from derive.grading.checker import check
    from derive.grading.feedback_sheet import FeedbackSheet
    from derive.report import to_json, to_text
    from derive.sheet import CARRIES, sheets
    from derive.sheets.context import DETAILS
    from derive.sheets.locale import LANGUAGES
    from derive.solution import solve
except KeyboardInterrupt:
    sys.stderr.write("derive: interrupted\n")
    raise SystemExit(INTERRUPTED) from None

SPEC_HELP = "spec file (TOML, or JSON by its .json suffix); default: the built-in seed example"


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line and a hint instead of usage and error."""

    def error(self, message: str) -> NoReturn:
        _usage_error(self.prog, message)


def _usage_error(prog: str, message: str) -> NoReturn:
    """`derive: sheet: --precision: a whole number from 1 to 10` and where to look."""
    message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
    if message.startswith("COMMAND: invalid choice: "):
        given = message.removeprefix("COMMAND: invalid choice: ").split(" (")[0]
        message = f"unknown command {given} (choose from: {', '.join(COMMANDS)})"
    elif message == "the following arguments are required: COMMAND":
        message = f"missing command (choose from: {', '.join(COMMANDS)})"
    command = prog.removeprefix("derive").strip()
    where = f"{command}: " if command else ""
    print(one_line(f"derive: {where}{message}"), file=sys.stderr)
    print(one_line(f"try '{prog} --help'"), file=sys.stderr)
    raise SystemExit(2)


COMMANDS = ("solve", "sheet", "check", "exercises", "grade", "train")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    class_commands.add_commands(commands)
    train.add_command(commands)
    return parser


def _solve(args: argparse.Namespace) -> None:
    solution = solve(load_spec(args.spec))
    if args.json:
        # several samples' JSON has been ASCII (the title's Korean escaped): kept so
        ascii_only = solution.batch.network.several
        print(json.dumps(to_json(solution), ensure_ascii=ascii_only))
    else:
        print(to_text(solution))


def _sheet(args: argparse.Namespace) -> None:
    specs = [load_spec(path) for path in args.spec or [None]]
    run = list(sheets(specs, args.lang, args.precision, args.carry, args.detail))
    directory = Path(args.output)
    check_writable([path for sheet in run for path in sheet.paths(directory, args.format)])
    outputs: dict[Path, bytes] = {}
    finishing = None
    for sheet in run:  # one sheet's PDF is rendered in the background while the next is built
        started = sheet.render(directory, args.format)
        if finishing is not None:
            outputs.update(finishing())
        finishing = started
    if finishing is not None:
        outputs.update(finishing())
    for path in write_all(outputs):
        print(path)


def _check(args: argparse.Namespace) -> int:
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
        for path in report.write(Path(args.output or "output"), args.format):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(feedback.to_json(results, args.lang), ensure_ascii=False))
    else:
        print(feedback.to_text(results, args.lang))
    return 1 if any(r.verdict in ("wrong", "carried") for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit 0 done, 1 a failed check, 2 bad input or usage, 130 Ctrl-C;
    a closed pipe (`derive solve | head -1`) ends quietly, as for coreutils."""
    if sys.stdout is None:  # `derive solve >&-`: Python found no standard output to write to
        closed = "standard output is closed (discard it with >/dev/null)"
        print(f"derive: cannot write the output: {closed}", file=sys.stderr)
        return 2
    try:
        args, extra = _parser().parse_known_args(argv)
        if extra:
            plural = "s" if len(extra) > 1 else ""
            _usage_error(f"derive {args.command}", f"unknown argument{plural}: {' '.join(extra)}")
        commands = {
            "solve": _solve,
            "sheet": _sheet,
            "check": _check,
            "exercises": class_commands.exercises,
            "grade": class_commands.grade,
            "train": train.train,
        }
        code = commands[args.command](args) or 0
        sys.stdout.flush()  # here, where a closed pipe or a full disk can still be caught
        return code
    except DeriveError as exc:
        print(f"derive: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()
        return BROKEN_PIPE
    except OSError as exc:  # output files are handled in files.py; this is `> /dev/full`
        if exc.errno not in FULL:
            raise
        _discard_stdout()
        print(f"derive: cannot write the output: {reason(exc)}", file=sys.stderr)
        return 2


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is left in its buffer can reach no one, and Python's
    own flush at exit would complain."""
    with contextlib.suppress(OSError, ValueError):  # no real file (captured in tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run() -> NoReturn:
    """The `derive` command: main(), then exit at once. Tearing the interpreter down (freeing
    SymPy's caches, module by module) takes a fifth of a second and does nothing a finished
    run needs: every file is already on disk (written, synced, renamed), the output streams are
    flushed here, and helper processes end with this one."""
    code = main()
    for stream in filter(None, (sys.stdout, sys.stderr)):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
