"""`derive train`: several steps of torch.optim's optimizers, worked exactly and checked against
torch.optim, as a terminal report, JSON, or sheets."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from derive.commands import arguments
from derive.commands.arguments import SPEC_HELP
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import load_spec
from derive.engine.training_spec import MAX_STEPS
from derive.files import check_writable, write_all
from derive.sheets.training import TrainingSheet
from derive.trainer import DEFAULT_PARAM, MAX_GRADIENTS, Training, rules, step_count
from derive.training_report import to_json
from derive.typeset.html import HtmlRenderer
from derive.typeset.publish import paths, publish
from derive.workers import CHARTS, FONTS, PDF, VERIFY, Workers

CHART_WORKERS = 2  # the loss and the paths charts, drawn side by side


def optimizer_names(value: str) -> tuple[str, ...]:
    return arguments.names(value, list(OPTIMIZERS), "optimizer")


def steps(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_STEPS}")
    return int(value)


def learning_rate(value: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal(0)
    if not rate.is_finite() or not 0 < rate <= 1000 or len(value) > 30:
        raise argparse.ArgumentTypeError("a positive number of at most 1000, e.g. 0.1")
    return rate


def add_command(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser(
        "train",
        help="several steps of torch.optim's optimizers, worked exactly, checked against it",
        description="Run SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW (or "
        "--optimizer's, or the spec's [training] optimizer) for a few steps from the spec's "
        "parameters, every number exact, every parameter and state variable of every step "
        "checked against torch.optim in float64 (1e-12 relative). Writes DIR/<name>.train.<lang>"
        ".html and .pdf (the rules, the first steps worked for one parameter, tables, the check, "
        "the optimizers compared over 100 steps, a guide) and prints their paths; --json prints "
        "every step's parameters and state instead. A run of more than "
        f"{MAX_GRADIENTS:,} exact gradients (parameters × samples × steps × optimizers: more "
        "than a minute's work) is refused.",
    )
    train.add_argument("spec", nargs="?", metavar="SPEC", help=SPEC_HELP)
    train.add_argument(
        "--optimizer",
        type=optimizer_names,
        metavar="NAMES",
        help=f"comma-separated: {', '.join(OPTIMIZERS)} (default: the spec's [training] "
        "optimizer, else all seven; momentum and nesterov are SGD with momentum 0.9)",
    )
    train.add_argument(
        "--steps",
        type=steps,
        metavar="K",
        help=f"steps worked (1 to {MAX_STEPS}; default: the spec's [training] steps, else 3)",
    )
    train.add_argument(
        "--lr",
        type=learning_rate,
        metavar="X",
        help="learning rate (default: the spec's [training] lr, else values.learning_rate)",
    )
    train.add_argument(
        "--param",
        default=DEFAULT_PARAM,
        metavar="NAME",
        help=f"the parameter followed step by step (default: {DEFAULT_PARAM})",
    )
    train.add_argument(
        "--json", action="store_true", help="print one JSON object instead of writing sheets"
    )
    arguments.add_file_options(train)


def start_workers(workers: Workers, langs: Sequence[str], formats: Sequence[str]) -> None:
    """The workers the sheets will use, started now: their imports (PyTorch, WeasyPrint,
    matplotlib) overlap this process's work."""
    cores = os.cpu_count() or 1
    workers.start(VERIFY)
    if "pdf" in formats:
        workers.start(PDF, min(len(langs), cores))
    # a worker per chart a sheet waits for at once (two)
    workers.start(CHARTS, min(CHART_WORKERS, cores))
    if "html" in formats:
        workers.start(FONTS)


def train(args: argparse.Namespace, workers: Workers) -> None:
    spec = load_spec(args.spec)
    if not args.json:  # the sheets' workers, while the runs are worked here
        start_workers(workers, args.lang, args.format)
    chosen = rules(spec, args.optimizer, args.lr)
    training = Training(spec, chosen, step_count(spec, args.steps), args.param, workers)
    if args.json:
        training.start(compared=False)  # the checks alone
        print(json.dumps(to_json(training.runs, training.checked.checks), ensure_ascii=False))
        return
    training.start()  # the check, the comparison and the boundary, on a worker
    directory = Path(args.output)
    sheets = [TrainingSheet(training, lang).publication(directory) for lang in args.lang]
    check_writable(paths([sheet.stem for sheet in sheets], args.format))
    for path in write_all(publish(sheets, args.format, HtmlRenderer(workers))):
        print(path)
