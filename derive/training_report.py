"""`derive train`'s terminal report and JSON: per optimizer its hyperparameters, each step's
loss (before the step), parameters and state (after it), and how far torch.optim was."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from derive.engine.optimizers import Value
from derive.engine.training import Run
from derive.report import json_number, text_table
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
            "torch_max_rel_diff": check.max_rel_diff,
            "explained_steps": list(check.explained_steps),
        }
    return {"optimizers": optimizers}


def to_text(runs: list[Run], checks: list[RunCheck], param: str) -> str:
    """Loss before each step and after the last, `param` after each step, and the check."""
    count = len(runs[0].steps)
    header = ["optimizer", *(f"C step {t}" for t in range(1, count + 1)), "C after"]
    header += [f"{param} after {count}", "vs torch.optim"]
    rows = []
    for run, check in zip(runs, checks, strict=True):
        losses = [f"{float(c):.6g}" for c in run.losses]
        last = f"{float(run.steps[-1].update.after[param]):.6g}"
        rows.append([run.rule.name, *losses, last, f"{check.max_rel_diff:.1e}"])
    note = (
        "C step t: the loss before step t. Every parameter and state variable of every step "
        "agrees with torch.optim (float64) within the relative difference shown."
    )
    return "\n".join([*text_table(header, rows), "", note])
