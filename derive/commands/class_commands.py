"""The commands for a class: `derive exercises` (a variant per student, booklets, keys, LMS
files) and `derive grade` (a class's answers against their variants)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from derive.commands import arguments
from derive.engine.spec import load_spec
from derive.errors import InputError, one_line
from derive.exercises import exercise_set
from derive.exercises import output as exercise_files
from derive.exercises.exercise_set import MAX_COUNT
from derive.exercises.generator import GenerationError, variant_ids
from derive.exercises.levels import LEVELS
from derive.exercises.moodle import moodle_xml
from derive.exercises.qti import qti_zip
from derive.exercises.questions import KINDS
from derive.files import check_writable, write_all
from derive.grading import grades
from derive.grading.class_report import ClassReport
from derive.grading.exercise_file import ExerciseFile
from derive.grading.responses import read_responses
from derive.progress import Progress
from derive.solution import one_sample
from derive.typeset.html import HtmlRenderer
from derive.typeset.publish import publish
from derive.workers import Workers


def add_commands(commands: argparse._SubParsersAction) -> None:
    """`exercises` and `grade`, in the command line's list."""
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
        "--count",
        type=arguments.count,
        metavar="N",
        help=f"variants with new numbers (1 to {MAX_COUNT})",
    )
    exercises.add_argument(
        "--seed", type=arguments.seed, default=1, metavar="S", help="random seed (default: 1)"
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
        type=arguments.precision,
        metavar="N",
        help="decimals the worked solutions carry (default: 3); every answer is asked to N+1",
    )
    exercises.add_argument(
        "--ask",
        default=KINDS,
        type=arguments.kinds,
        metavar="KINDS",
        help=f"comma-separated kinds of question: {', '.join(KINDS)} (default: all)",
    )
    exercises.add_argument(
        "--lang",
        default=("en",),
        type=arguments.languages,
        help="comma-separated: en, ko (default: en)",
    )
    exercises.add_argument(
        "--format",
        default="html,pdf",
        type=arguments.formats,
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


def exercises(args: argparse.Namespace, workers: Workers) -> None:
    spec = one_sample(load_spec(args.spec)) if args.spec else None
    if args.variant is not None:
        ids = variant_ids(args.count or 1)
        if args.variant not in ids:
            shown = f"{ids[0]}…{ids[-1]}" if len(ids) > 1 else ids[0]
            raise InputError("--variant", "", f"no variant {args.variant!r} in this set ({shown})")
    exercise_files.start_workers(workers, args.lang, args.format)  # imports, while it is drawn
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
    progress = Progress(exercise_files.steps(built, args.lang), sys.stderr)
    outputs = exercise_files.outputs(built, args.lang, args.format, directory, workers, progress)
    progress.finish()
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
        "answered) against the set DIR/exercises.json that derive exercises wrote (a set "
        "changed since is refused): each variant derived and verified once, and held against "
        "the set's answers. Verdicts as derive check gives them, and empty. Prints a table (or "
        "--json); with -o DIR writes DIR/grades.csv and the class report "
        "DIR/report.<lang>.html and .pdf (the class, the rows not graded and why, verdicts "
        "per question, the commonest slips, a score histogram, every student's score and "
        "slips), all or none. A row that cannot be graded (an unknown variant, a cell that is "
        "not a number, a wrong number of cells) is named by line and column on stderr, and "
        "the other rows are graded. Exit 0 if every row was graded, 1 if some rows were not, "
        "2 on a bad RESPONSES.csv header, set or option (one line, nothing written).",
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
        type=arguments.languages,
        help="comma-separated: en, ko: a report per language; the first for the notes of "
        "--json and the table (default: en)",
    )
    grade.add_argument(
        "--format",
        default=("html", "pdf"),
        type=arguments.formats,
        help="the class report's formats: comma-separated html, pdf (default: html,pdf)",
    )
    grade.add_argument(
        "--marks",
        default=grades.DEFAULT_MARKS,
        type=arguments.marks,
        help=f"marks per verdict, each from 0 to correct's (default: {marks}; "
        "an empty answer always 0)",
    )


def grade(args: argparse.Namespace, workers: Workers) -> int:
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
        reports = [ClassReport(graded, lang).publication(directory) for lang in args.lang]
        outputs |= publish(reports, args.format, HtmlRenderer(workers))
        for path in write_all(outputs):
            print(path, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(grades.to_json(graded, args.lang[0]), ensure_ascii=False))
    else:
        print(grades.to_text(graded, args.lang[0]))
    return 1 if responses.problems else 0
