"""Update rules: what is done with a gradient, kept apart from computing it.

A rule is data: its name, its hyperparameters, its formula, and a step that turns parameters
and gradients (and the rule's state) into new parameters and state. Every number of the step is
kept, per parameter, for sheets, checker and JSON. The rules are torch.optim's optimizers
(derive.engine.training's OptimizerRule); a sheet's one worked step, p' = p − η·∂C/∂p, is its
`sgd`; optimizers with state (momentum buffers, moment estimates) add their state per parameter
and count their steps in `Update.step`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derive.engine.training import OptimizerRule

State = dict[str, dict[str, Decimal]]  # state variable → parameter → value


@dataclass(frozen=True)
class ParameterStep:
    """One parameter's step: after = before − change."""

    param: str
    before: Decimal
    gradient: Decimal
    change: Decimal  # what is subtracted: η·∂C/∂p for gradient descent
    after: Decimal
    # an optimizer's intermediate terms by name (derive.engine.optimizers): g, m̂, √v̂ + ε, …
    terms: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Update:
    """One step of a rule over every parameter."""

    rule: OptimizerRule
    step: int  # 1 for the first step
    params: dict[str, ParameterStep]
    state: State = field(default_factory=dict)  # the rule's state after the step
    loss_after: Decimal | None = None  # C at the new parameters: did the step help?

    @property
    def after(self) -> dict[str, Decimal]:
        return {p: s.after for p, s in self.params.items()}
