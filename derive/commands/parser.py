"""The command line's parser: every command's options, and the function each command runs."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from typing import NoReturn

from derive import __version__
from derive.commands import class_commands, train, worked
from derive.errors import one_line
from derive.workers import Workers


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line and a hint instead of usage and error."""

    def error(self, message: str) -> NoReturn:
        usage_error(self.prog, message)


def usage_error(prog: str, message: str) -> NoReturn:
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


def parser() -> argparse.ArgumentParser:
    """derive's parser: a subcommand per command."""
    parser = Parser(
        prog="derive",
        description="Verified, step-by-step backpropagation worked solutions for small MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    worked.add_commands(commands)
    class_commands.add_commands(commands)
    train.add_command(commands)
    return parser


RUNS: dict[str, Callable[[argparse.Namespace, Workers], int | None]] = {
    "solve": worked.solve_command,
    "sheet": worked.sheet_command,
    "check": worked.check_command,
    "exercises": class_commands.exercises,
    "grade": class_commands.grade,
    "train": train.train,
}
