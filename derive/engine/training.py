"""Training: several steps of an optimizer, each from a fresh derivation at the parameters the
last step left. Every number is exact (50 digits); what a step does with the gradient is the
optimizer's entry in derive.engine.optimizers. A sheet's one step of gradient descent is one step
of its `sgd` entry (`descend`), the one step also worked by hand (`places`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.batch import Batch, derive_batch
from derive.engine.exact import exact_context, round_fixed, update_places
from derive.engine.network import Network
from derive.engine.optimizers import OPTIMIZERS, Optimizer, Value
from derive.engine.update import ParameterStep, State, Update
from derive.errors import InputError

FLOAT_RANGE = Decimal(10) ** 300  # beyond, float64 (and so torch.optim) overflows soon


@dataclass(frozen=True)
class OptimizerRule:
    """An optimizer with its learning rate and hyperparameters: an update rule with state."""

    optimizer: Optimizer
    learning_rate: Decimal
    settings: dict[str, Value]  # every hyperparameter but lr, by torch's names

    @classmethod
    def named(
        cls, name: str, learning_rate: Decimal, given: Mapping[str, Value] | None = None
    ) -> OptimizerRule:
        optimizer = OPTIMIZERS[name]
        return cls(optimizer, learning_rate, optimizer.hyperparameters(given or {}))

    @property
    def name(self) -> str:
        return self.optimizer.name

    @property
    def formula(self) -> str:
        lines = r" \\ ".join(self.optimizer.formula(self.settings))
        return rf"\begin{{gathered}} {lines} \end{{gathered}}"

    @property
    def hyperparameters(self) -> dict[str, Value]:
        return {"lr": self.learning_rate, **self.settings}

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.optimizer.state(self.settings)

    def initial_state(self, params: Mapping[str, Decimal]) -> State:
        start = self.optimizer.initial(self.settings)
        return {name: dict.fromkeys(params, value) for name, value in start.items()}

    def apply(
        self,
        params: Mapping[str, Decimal],
        gradients: Mapping[str, Decimal],
        places: int | None = None,
        step: int = 1,
        state: State | None = None,
    ) -> Update:
        """Step `step` (1 for the first) from `state`, the state the last step left (None: the
        initial state). With `places`, θ' is written as a student would: to `places` decimals,
        or to as many as show the change (0.3 − 0.000328 = 0.3003); training works exactly."""
        before = self.initial_state(params) if state is None or step == 1 else state
        steps: dict[str, ParameterStep] = {}
        after: State = {name: {} for name in self.state_names}
        with exact_context():
            for param, value in params.items():
                mine = {name: before[name][param] for name in before}
                new, new_state, terms = self.optimizer.step(
                    self.settings, self.learning_rate, step, value, gradients[param], mine
                )
                change = value - new
                if places is not None:
                    new = round_fixed(new, update_places(change, places, new))
                steps[param] = ParameterStep(param, value, gradients[param], change, new, terms)
                for name, number in new_state.items():
                    after[name][param] = number
        return Update(self, step, steps, after)


@dataclass(frozen=True)
class TrainingStep:
    """One step: every sample's derivation at the parameters before it (their mean loss is
    the loss before the step), and the optimizer's update from their mean gradient."""

    batch: Batch
    update: Update

    @property
    def loss(self) -> Decimal:
        return self.batch.loss


@dataclass(frozen=True)
class Run:
    """Several steps of one optimizer from the spec's parameters."""

    rule: OptimizerRule
    steps: tuple[TrainingStep, ...]
    final_loss: Decimal  # C after the last step

    @property
    def losses(self) -> list[Decimal]:
        """C before each step, then after the last."""
        return [s.loss for s in self.steps] + [self.final_loss]


def descend(batch: Batch) -> Update:
    """The spec's one step of gradient descent, θ' = θ − η·∂C/∂θ (torch.optim's SGD), on the
    batch's mean gradient (rounded like the batch, when it is the hand-rounded one), with the
    batch's loss it leads to."""
    rule = OptimizerRule.named("sgd", batch.network.spec.learning_rate)
    update = rule.apply(batch.params, batch.gradients, batch.places)
    return dataclasses.replace(update, loss_after=batch.loss_at(update.after))


def at(network: Network, params: Mapping[str, Decimal]) -> Network:
    """The same network with other parameter values given (where a step left them)."""
    return dataclasses.replace(network, given={**network.given, **params})


def train(network: Network, rule: OptimizerRule, steps: int) -> Run:
    """`steps` steps of `rule`, each from the samples' derivations at the parameters the last
    one left."""
    params = {p: network.given[p] for p in network.params}
    state: State | None = None
    done = []
    for t in range(1, steps + 1):
        try:
            batch = derive_batch(at(network, params))
        except InputError:
            if t == 1:
                raise  # the spec's own values
            raise _diverged(
                network, rule, t, "the network's values leave exact arithmetic's range"
            ) from None
        update = rule.apply(params, batch.gradients, step=t, state=state)
        done.append(TrainingStep(batch, update))
        params, state = update.after, update.state
        _check_range(network, rule, t, [batch.loss, *params.values()])
    final = done[-1].batch.loss_at(params)
    _check_range(network, rule, steps, [final])
    return Run(rule, tuple(done), final)


def _check_range(network: Network, rule: OptimizerRule, t: int, values: list[Decimal]) -> None:
    """A run whose numbers leave float64's range cannot be checked against torch.optim."""
    largest = max(abs(v) for v in values)
    if largest > FLOAT_RANGE:
        raise _diverged(network, rule, t, f"a value reaches {largest:.3g}")


def _diverged(network: Network, rule: OptimizerRule, t: int, what: str) -> InputError:
    return InputError(
        network.spec.source,
        "lr",
        f"{rule.name} diverges with learning rate {rule.learning_rate}: by step {t} {what}, "
        "beyond what torch.optim can check in float64; try a smaller learning rate",
    )
