"""Command line: `derive solve [SPEC] [--json]`."""

from __future__ import annotations

import argparse
import json
import sys

from derive import __version__
from derive.errors import DeriveError
from derive.report import to_json, to_text
from derive.solution import solve
from derive.spec import load_spec

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        solution = solve(load_spec(args.spec))
    except DeriveError as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(to_json(solution), ensure_ascii=False))
    else:
        print(to_text(solution))
    return 0
