"""The [training] table of a spec: which optimizer, its hyperparameters by torch.optim's
names (checked as torch.optim would), how many steps, the learning rate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from derive.engine.optimizers import FLAGS, OPTIMIZERS, Value, problem
from derive.engine.reader import Reader
from derive.errors import shown


@dataclass(frozen=True)
class TrainingSettings:
    """The [training] table: an optimizer and its hyperparameters (torch's names; the ones
    left out take torch's defaults), how many steps to work, the learning rate."""

    optimizer: str | None  # None: every optimizer, with its defaults
    steps: int
    lr: Decimal | None  # None: values.learning_rate
    hyperparameters: Mapping[str, Value] = field(default_factory=dict)


MAX_STEPS = 50  # worked steps of training, each a derivation of its own
DEFAULT_STEPS = 3
LR_HINT = "torch.optim calls it lr"  # every key of [training] is torch.optim's name


def parse_training(source: str, table: dict[str, Any]) -> TrainingSettings:
    """The [training] table; every hyperparameter must be the optimizer's own, and valid."""
    names = tuple(dict.fromkeys(k for entry in OPTIMIZERS.values() for k in entry.defaults))
    allowed = ("optimizer", "steps", "lr", *names)
    reader = Reader(source, table, "training.", allowed, {"learning_rate": LR_HINT})
    optimizer = reader.choice("optimizer", OPTIMIZERS, "") if reader.has("optimizer") else None
    steps = table.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        reader.fail("steps", f"must be a whole number from 1 to {MAX_STEPS}, got {shown(steps)}")
    lr = reader.number("lr", table["lr"]) if reader.has("lr") else None
    if lr is not None and lr <= 0:
        reader.fail("lr", f"must be positive, got {lr}")
    given = {k: v for k, v in table.items() if k in names}
    if given and optimizer is None:
        reader.fail(next(iter(given)), "a hyperparameter needs an optimizer = … to belong to")
    hyper: dict[str, Value] = {}
    for key, value in given.items():
        entry = OPTIMIZERS[optimizer]  # type: ignore[index]
        if key not in entry.defaults:
            reader.fail(
                key, f"not a hyperparameter of {optimizer} (it has: {', '.join(entry.defaults)})"
            )
        hyper[key] = _hyperparameter(reader, key, value)
    if optimizer is not None:
        found = problem(OPTIMIZERS[optimizer], OPTIMIZERS[optimizer].hyperparameters(hyper))
        if found:
            reader.fail(*found)
    return TrainingSettings(optimizer, steps, lr, hyper)


def _hyperparameter(reader: Reader, key: str, value: Any) -> Value:
    if key in FLAGS:
        if not isinstance(value, bool):
            reader.fail(key, f"must be true or false, got {shown(value)}")
        return value
    if key == "betas":
        if not isinstance(value, list) or len(value) != 2:
            reader.fail(
                key, f"must be a list of two numbers, e.g. [0.9, 0.999], got {shown(value)}"
            )
        return (reader.number("betas[0]", value[0]), reader.number("betas[1]", value[1]))
    return reader.number(key, value)
