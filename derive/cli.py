"""Command line: `derive solve`, `derive sheet` and `derive check`; every error one line."""

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
from derive.errors import DeriveError, InputError, one_line
from derive.files import check_writable, reason, write_all

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` gives for yes
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

try:  # importing SymPy takes a moment: Ctrl-C then still ends in one line
    from derive.engine.spec import load_spec
    from derive.exercises import exercise_set
    from derive.exercises import output as exercise_files
    from derive.exercises.exercise_set import MAX_COUNT
    from derive.exercises.generator import GenerationError, variant_ids
    from derive.exercises.levels import LEVELS
    from derive.exercises.moodle import moodle_xml
    from derive.exercises.qti import qti_zip
    from derive.exercises.questions import KINDS
    from derive.grading import feedback, grades
    from derive.grading.answers import check_names, load_answers
    from derive.grading.checker import check
    from derive.grading.class_report import ClassReport
    from derive.grading.exercise_file import ExerciseFile
    from derive.grading.feedback_sheet import FeedbackSheet
    from derive.grading.quantities import quantities
    from derive.grading.responses import read_responses
    from derive.report import to_json, to_text
    from derive.sheet import CARRIES, FORMATS, MAX_PRECISION, sheets
    from derive.sheets.context import DETAILS
    from derive.sheets.locale import LANGUAGES
    from derive.solution import solve
    from derive.typeset.html import HtmlRenderer
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


COMMANDS = ("solve", "sheet", "check", "exercises", "grade")


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
        "error. Every number comes from the verified derivation.",
    )
    sheet.add_argument(
        "spec",
        nargs="*",
        metavar="SPEC",
        help="spec files (TOML, or JSON by a .json suffix), each derived and verified once "
        "for all its languages; default: the built-in seed example",
    )
    sheet.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="output directory (default: output)"
    )
    sheet.add_argument(
        "--format",
        default="html,pdf",
        type=_formats,
        help="comma-separated: html, pdf (default: html,pdf)",
    )
    sheet.add_argument(
        "--lang",
        default=("en",),
        type=_languages,
        help="comma-separated: en, ko (default: en)",
    )
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
    exercises = commands.add_parser(
        "exercises",
        help="a variant per student: question sheets, answer keys, JSON",
        description="SPEC alone: that network with its own numbers, as a question sheet and "
        "an answer key. With --count N: N variants with new numbers (SPEC's network, or a "
        "level's when no SPEC), never degenerate and never two alike, the same kinds of "
        "question for every student. Writes DIR/questions.<lang>.html/.pdf (per variant: "
        "name and student-id lines, the givens, numbered questions with answer boxes), "
        "DIR/answers.<lang>.html/.pdf (per variant: the answers, then the full worked "
        "solution) and DIR/exercises.json (every answer, the answer carrying rounded values "
        "gives, and the tolerance of full credit); every variant is verified first. Same "
        "arguments, same files.",
    )
    exercises.add_argument("spec", nargs="?", metavar="SPEC", help="spec file (optional)")
    exercises.add_argument(
        "--count", type=_count, metavar="N", help=f"variants with new numbers (1 to {MAX_COUNT})"
    )
    exercises.add_argument(
        "--seed", type=_seed, default=1, metavar="S", help="random seed (default: 1)"
    )
    exercises.add_argument(
        "--level",
        type=int,
        choices=LEVELS,
        default=1,
        help="without SPEC: 1 the seed's 2-2-1 sigmoid MSE network; 2 biases, two outputs, "
        "½Σ loss; 3 tanh or ReLU with softmax and cross-entropy, up to 3-3-2 (default: 1)",
    )
    exercises.add_argument(
        "--variant", metavar="ID", help="only this variant of the set (e.g. V07), as in the set"
    )
    exercises.add_argument(
        "--precision",
        default=3,
        type=_precision,
        metavar="N",
        help="decimals asked (default: 3; small values N significant digits)",
    )
    exercises.add_argument(
        "--ask",
        default=KINDS,
        type=_kinds,
        metavar="KINDS",
        help=f"comma-separated kinds of question: {', '.join(KINDS)} (default: all)",
    )
    exercises.add_argument(
        "--lang",
        default=("en",),
        type=_languages,
        help="comma-separated: en, ko (default: en)",
    )
    exercises.add_argument(
        "--format",
        default="html,pdf",
        type=_formats,
        help="question booklets and answer keys: comma-separated html, pdf (default: html,pdf)",
    )
    exercises.add_argument(
        "-o", "--output", default="output", metavar="DIR", help="output directory (default: output)"
    )
    exercises.add_argument(
        "--moodle",
        action="store_true",
        help="also write DIR/moodle.xml: a question category with one cloze question per variant",
    )
    exercises.add_argument(
        "--qti",
        action="store_true",
        help="also write DIR/qti.zip: a QTI 1.2 package (Canvas) with a question group per variant",
    )
    _grade_parser(commands)
    return parser


def _count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_COUNT}")
    return int(value)


def _seed(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise argparse.ArgumentTypeError("a whole number from 0 to 10^18")
    return int(value)


def _kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        given = f"unknown kind {unknown[0]!r} " if unknown else ""
        raise argparse.ArgumentTypeError(
            f"{given}(choose from {', '.join(KINDS)}, comma-separated)"
        )
    return kinds


def _languages(value: str) -> tuple[str, ...]:
    langs = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [lang for lang in langs if lang not in LANGUAGES]
    if unknown or not langs:
        given = f"unknown language {unknown[0]!r} " if unknown else ""
        choices = ", ".join(LANGUAGES)
        raise argparse.ArgumentTypeError(f"{given}(choose from {choices}, comma-separated)")
    return langs


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
    table = quantities(solution.derivation.network, solution.update.rule)
    check_names(args.answers, claims, list(table))
    results = check(solution.derivation, solution.update, claims)
    if args.format:
        report = FeedbackSheet(
            solution, results, args.lang, Path(args.answers).stem, answers=args.answers
        )
        for path in report.write(Path(args.output), args.format):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(feedback.to_json(results, args.lang), ensure_ascii=False))
    else:
        print(feedback.to_text(results, args.lang))
    return 1 if any(r.verdict in ("wrong", "carried") for r in results) else 0


def _exercises(args: argparse.Namespace) -> None:
    spec = load_spec(args.spec) if args.spec else None
    if args.variant is not None:
        ids = variant_ids(args.count or 1)
        if args.variant not in ids:
            shown = f"{ids[0]}…{ids[-1]}" if len(ids) > 1 else ids[0]
            raise InputError("--variant", "", f"no variant {args.variant!r} in this set ({shown})")
    try:
        built = exercise_set.build_set(
            spec, args.count, args.seed, args.level, args.precision, args.ask, args.variant
        )
    except GenerationError as exc:
        raise InputError(args.spec or f"--level {args.level}", "", str(exc)) from None
    directory = Path(args.output)
    lms = {"moodle.xml": args.moodle, "qti.zip": args.qti}
    extra = [directory / name for name, wanted in lms.items() if wanted]
    check_writable([*exercise_files.paths(directory, args.lang, args.format), *extra])
    # the LMS files after the verification, which outputs() waits for
    outputs = exercise_files.outputs(built, args.lang, args.format, directory)
    outputs |= _lms_files(built, directory, args)
    for path in write_all(outputs):
        print(path)


def _lms_files(
    built: exercise_set.ExerciseSet, directory: Path, args: argparse.Namespace
) -> dict[Path, bytes]:
    """--moodle and --qti: the set for an LMS, in the first language asked."""
    lang = args.lang[0]
    files = {}
    if args.moodle:
        files[directory / "moodle.xml"] = moodle_xml(built, lang)
    if args.qti:
        files[directory / "qti.zip"] = qti_zip(built, lang)
    return files


def _grade_parser(commands: argparse._SubParsersAction) -> None:
    marks = grades.marks_text(grades.DEFAULT_MARKS)
    grade = commands.add_parser(
        "grade",
        help="grade a class: each student's numbers against their variant of an exercise set",
        description="Grade RESPONSES.csv (a header student,variant, then a column per asked "
        "quantity, named as students write them; a row per student; an empty cell is not "
        "answered) against the set DIR/exercises.json that derive exercises wrote: each "
        "variant derived and verified once, and held against the set's answers. Verdicts as "
        "derive check gives them, and empty. Prints a table (or --json); with -o DIR writes "
        "DIR/grades.csv and the class report DIR/report.<lang>.html and .pdf, all or none. A "
        "row that cannot be graded (an unknown variant, a cell that is not a number, a wrong "
        "number of cells) is named by line and column on stderr, and the other rows are "
        "graded. Exit 0 if every row was graded, 1 if some rows were not, 2 on a bad "
        "RESPONSES.csv header, set or option (one line, nothing written).",
    )
    grade.add_argument("responses", metavar="RESPONSES.csv", help="the class's answers (CSV)")
    grade.add_argument(
        "--set",
        required=True,
        metavar="DIR",
        help="the exercise set: the directory derive exercises wrote, or its exercises.json",
    )
    grade.add_argument(
        "-o", "--output", metavar="DIR", help="write grades.csv and the class report here"
    )
    grade.add_argument(
        "--json",
        action="store_true",
        help='print a JSON list of {"student", "variant", "score", "max", "verdicts"}',
    )
    grade.add_argument(
        "--lang",
        default=("en",),
        type=_languages,
        help="comma-separated: en, ko: a report per language; the first for the notes of "
        "--json and the table (default: en)",
    )
    grade.add_argument(
        "--format",
        default=("html", "pdf"),
        type=_formats,
        help="the class report's formats: comma-separated html, pdf (default: html,pdf)",
    )
    grade.add_argument(
        "--marks",
        default=grades.DEFAULT_MARKS,
        type=_marks,
        help=f"marks per verdict, each from 0 to correct's (default: {marks}; "
        "an empty answer always 0)",
    )


def _marks(value: str) -> dict:
    try:
        return grades.parse_marks(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _grade(args: argparse.Namespace) -> int:
    exercises = ExerciseFile(args.set)
    responses = read_responses(args.responses, exercises)
    directory = Path(args.output) if args.output else None
    if directory is not None:
        names = ["grades.csv"] + [f"report.{lang}.{f}" for lang in args.lang for f in args.format]
        check_writable([directory / name for name in names])
    graded = grades.grade_class(exercises, responses, args.marks)
    for message in responses.messages():
        print(f"derive: {one_line(message)}", file=sys.stderr)
    if directory is not None:
        outputs = {directory / "grades.csv": grades.grades_csv(graded)}
        renderer = HtmlRenderer()
        for lang in args.lang:
            outputs.update(ClassReport(graded, lang, renderer).outputs(directory, args.format))
        for path in write_all(outputs):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(grades.to_json(graded, args.lang[0]), ensure_ascii=False))
    else:
        print(grades.to_text(graded, args.lang[0]))
    return 1 if responses.problems else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command. Exit 0 done, 1 a failed check, 2 bad input or usage, 130 Ctrl-C;
    a closed pipe (`derive solve | head -1`) ends quietly, as for coreutils."""
    try:
        args, extra = _parser().parse_known_args(argv)
        if extra:
            plural = "s" if len(extra) > 1 else ""
            _usage_error(f"derive {args.command}", f"unknown argument{plural}: {' '.join(extra)}")
        commands = {
            "solve": _solve,
            "sheet": _sheet,
            "check": _check,
            "exercises": _exercises,
            "grade": _grade,
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
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
