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
from derive.workers import VERIFY, Workers

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` gives for yes
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
VERIFYING = ("sheet", "train", "exercises")  # the commands that verify on a worker
HELP = {"-h", "--help"}


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
    if argv[:1] and argv[0] in VERIFYING and not HELP.intersection(argv):
        workers.start(VERIFY)  # PyTorch's import, the longest, overlaps SymPy's
    # SymPy and every command: a moment. Each command starts its other workers once its
    # arguments are read; forked now, they have derive's modules, which their tasks need
    from derive.commands import parser

    args, extra = parser.parser().parse_known_args(argv)
    if extra:
        plural = "s" if len(extra) > 1 else ""
        parser.usage_error(f"derive {args.command}", f"unknown argument{plural}: {' '.join(extra)}")
    code = parser.RUNS[args.command](args, workers) or 0
    sys.stdout.flush()  # here, where a closed pipe or a full disk can still be caught
    return code


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
