"""`derive train --json`: per optimizer its hyperparameters, each step's
loss (before the step), parameters and state (after it), and how far torch.optim was."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from derive.engine.optimizers import Value
from derive.engine.training import Run
from derive.report import json_number
from derive.verify.training_result import RunCheck


def _value(value: Value) -> Any:
    if isinstance(value, tuple):
        return [json_number(v) for v in value]
    return value if isinstance(value, bool) else json_number(value)


def _values(values: dict[str, Decimal]) -> dict[str, float | str]:
    return {name: json_number(v) for name, v in values.items()}


def to_json(runs: list[Run], checks: list[RunCheck]) -> dict[str, Any]:
    optimizers = {}
    for run, check in zip(runs, checks, strict=True):
        steps = [
            {
                "step": s.update.step,
                "loss": json_number(s.loss),
                "params": _values(s.update.after),
                "state": {name: _values(v) for name, v in s.update.state.items()},
            }
            for s in run.steps
        ]
        optimizers[run.rule.name] = {
            "torch_class": f"torch.optim.{run.rule.optimizer.torch_class}",
            "hyperparameters": {k: _value(v) for k, v in run.rule.hyperparameters.items()},
            "steps": steps,
            "final_loss": json_number(run.final_loss),
            # null once torch.optim's own run is NaN (see "cancelled")
            "torch_max_rel_diff": None if math.isnan(check.max_rel_diff) else check.max_rel_diff,
            "explained_steps": list(check.explained_steps),
            "cancelled": {str(t): list(params) for t, params in check.cancelled.items()},
        }
    return {"optimizers": optimizers}
