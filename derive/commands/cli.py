"""Command line: `derive COMMAND …` (derive/commands/parser.py lists the commands); every
error one line, a documented exit code.

This module imports nothing heavy: the verification's worker starts first (its import of
PyTorch overlaps this process's import of SymPy and of the commands), the other workers once
those are imported (their tasks need them)."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import NoReturn

from derive.errors import DeriveError, one_line
from derive.files import reason
from derive.workers import CHARTS, FONTS, PDF, VERIFY, Lane, Workers

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` gives for yes
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
FLAGS = ("--json", "--moodle", "--qti", "-h", "--help")  # options without a value
NO_FILES = {"--json", "-h", "--help"}  # a run that writes no sheet, or none at all


def main(argv: list[str] | None = None, workers: Workers | None = None) -> int:
    """Run one command with `workers` (by default its own, ended when it returns). Exit 0
    done, 1 a failed check, 2 bad input or usage, 130 Ctrl-C; a closed pipe
    (`derive solve | head -1`) ends quietly, as for coreutils."""
    if sys.stdout is None:  # `derive solve >&-`: Python found no standard output to write to
        closed = "standard output is closed (discard it with >/dev/null)"
        print(f"derive: cannot write the output: {closed}", file=sys.stderr)
        return 2
    argv = sys.argv[1:] if argv is None else list(argv)
    own = workers is None
    workers = workers or Workers()
    try:
        return _run(argv, workers)
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
    finally:
        if own:
            workers.close()


def _run(argv: list[str], workers: Workers) -> int:
    lanes = wanted_lanes(argv)
    if VERIFY in lanes:  # PyTorch's import, the longest, overlaps SymPy's
        workers.start(VERIFY)
    from derive.commands import parser  # SymPy and every command: a moment

    # the rest forked now, with SymPy and derive's modules: their tasks need them
    for lane, count in lanes.items():
        workers.start(lane, count)

    args, extra = parser.parser().parse_known_args(argv)
    if extra:
        plural = "s" if len(extra) > 1 else ""
        parser.usage_error(f"derive {args.command}", f"unknown argument{plural}: {' '.join(extra)}")
    code = parser.RUNS[args.command](args, workers) or 0
    sys.stdout.flush()  # here, where a closed pipe or a full disk can still be caught
    return code


def wanted_lanes(argv: list[str]) -> dict[Lane, int]:
    """The workers the command will want, judged from its arguments' text before they are
    parsed: a guess, which costs an idle worker when wrong (a bad option is reported once
    the parser runs)."""
    if not argv or NO_FILES.intersection(argv):
        return {}
    command, options = argv[0], _options(argv[1:])
    langs = len(options.get("--lang", "en").split(","))
    formats = options.get("--format", "html,pdf")
    cores = os.cpu_count() or 1
    sheets = {"sheet": max(1, options.get("", 1)) * langs, "train": langs, "exercises": 2 * langs}
    if command not in sheets:
        return {}
    lanes = {VERIFY: 1}
    if "pdf" in formats:
        lanes[PDF] = min(sheets[command], cores)
    if command == "train":
        lanes[CHARTS] = min(2, cores)
    if "html" in formats:
        lanes[FONTS] = 1
    return lanes


def _options(words: list[str]) -> dict:
    """{option: its text} of `--option value` and `--option=value`, and under "" the number
    of words that are no option's value (a run's SPEC files)."""
    found: dict = {"": 0}
    waiting = None
    for word in words:
        if word.startswith("-") and word not in FLAGS:
            name, _, value = word.partition("=")
            found[name] = value
            waiting = None if value else name
        elif waiting is not None:
            found[waiting], waiting = word, None
        elif not word.startswith("-"):
            found[""] += 1
    return found


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is left in its buffer can reach no one, and Python's
    own flush at exit would complain."""
    with contextlib.suppress(OSError, ValueError):  # no real file (captured in tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def run() -> NoReturn:
    """The `derive` command: main(), then exit at once. Tearing the interpreter down (freeing
    SymPy's caches, module by module) takes a fifth of a second and does nothing a finished
    run needs: every file is already on disk (written, synced, renamed), the output streams are
    flushed here, and the workers have ended."""
    code = main()
    for stream in filter(None, (sys.stdout, sys.stderr)):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
