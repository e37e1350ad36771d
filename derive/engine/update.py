"""Update rules: what is done with a gradient, kept apart from computing it.

A rule is data: its name, its hyperparameters, its formula, and a step that turns parameters
and gradients (and the rule's state) into new parameters and state. Every number of the step is
kept, per parameter, for sheets, checker and JSON. Plain gradient descent is the rule of one
worked step, p' = p − η·∂C/∂p; optimizers with state (momentum buffers, moment estimates) add
their state per parameter and count their steps in `Update.step`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol

from derive.engine.derivation import Derivation, forward_loss
from derive.engine.exact import exact_context, round_fixed, update_places

State = dict[str, dict[str, Decimal]]  # state variable → parameter → value


class UpdateRule(Protocol):
    """What sheets, checker and JSON read of a rule."""

    name: str
    formula: str  # LaTeX, over p, η and ∂C/∂p

    @property
    def hyperparameters(self) -> Mapping[str, object]: ...

    def apply(
        self,
        params: Mapping[str, Decimal],
        gradients: Mapping[str, Decimal],
        places: int | None = None,
        step: int = 1,
        state: State | None = None,
    ) -> Update: ...


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

    rule: UpdateRule
    step: int  # 1 for the first step
    params: dict[str, ParameterStep]
    state: State = field(default_factory=dict)  # the rule's state after the step
    loss_after: Decimal | None = None  # C at the new parameters: did the step help?

    @property
    def after(self) -> dict[str, Decimal]:
        return {p: s.after for p, s in self.params.items()}


@dataclass(frozen=True)
class GradientDescent:
    """p' = p − η·∂C/∂p; no state."""

    learning_rate: Decimal
    name: str = "gradient_descent"
    formula: str = r"p' = p - \eta \, \frac{\partial C}{\partial p}"

    @property
    def hyperparameters(self) -> dict[str, Decimal]:
        return {"learning_rate": self.learning_rate}

    def apply(
        self,
        params: Mapping[str, Decimal],
        gradients: Mapping[str, Decimal],
        places: int | None = None,
        step: int = 1,
        state: State | None = None,
    ) -> Update:
        """One step (gradient descent keeps no `state`). With `places`, p' is rounded as a
        student would write it: to `places` decimals, or to as many as show the change
        (0.3 − 0.000328 = 0.3003)."""
        steps = {}
        with exact_context():
            for param, before in params.items():
                gradient = gradients[param]
                change = self.learning_rate * gradient
                after = before - change  # one calculator line: p − η·g
                if places is not None:
                    after = round_fixed(after, update_places(change, places, after))
                steps[param] = ParameterStep(param, before, gradient, change, after)
        return Update(self, step, steps)


def descend(derivation: Derivation) -> Update:
    """The spec's step of gradient descent from a derivation's gradients (rounded like the
    derivation, when it is the hand-rounded one), with the loss it leads to."""
    rule = GradientDescent(derivation.network.spec.learning_rate)
    gradients = {p: g.value for p, g in derivation.gradients.items()}
    update = rule.apply(derivation.params, gradients, derivation.places)
    return replace(update, loss_after=forward_loss(derivation, update.after))
