"""Training runs against torch.optim: the same optimizer, run in float64 on the independent
PyTorch model with its own gradients, must leave every parameter and every state variable
within 1e-12 of derive's exact values at every step, relative to the largest number the step
combined for that quantity (for the parameters: their values before and after and the change;
for a state variable: its values before and after and the gradient). So a value that crosses
zero, or a result much smaller than its terms, is held to its terms' scale, which is all the
precision float64 keeps.

Where a run is ill-conditioned (a saturated unit, a gradient near ε), float64 may drift
further than that along the way without anything being wrong. Such a step is then checked in
two halves: derive's gradients at that step against PyTorch's (the four-way check of a single
step, with its honest tolerances), and torch.optim's step fed with derive's own gradients and
state against derive's step. Only if either half fails is the run refused.

One step float64 cannot take at all: centered RMSprop's √(v − (ḡ)²) where the difference is
0 or nearly (alpha = 0 makes v = g² and ḡ = g exactly). float64 keeps only rounding noise of
it, and torch.optim's square root of the noise is NaN where it is negative, 10⁻¹⁰ where 0 is
meant. Such a parameter's step is reported as cancelled (torch's values shown as computed),
not compared; every other parameter still is.

Each optimizer's entry says how torch.optim takes its step (engine/torch_steps.py: the
functional steps its classes' step() runs). tests/test_optimizers.py holds the two against
each other.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import torch
from torch.optim import adagrad, adam, adamw, rmsprop, sgd

from derive.engine.batch import Batch, sample_network
from derive.engine.network import Network
from derive.engine.training import OptimizerRule, Run, descend
from derive.engine.update import State
from derive.errors import VerificationError
from derive.verify.torch_model import DTYPE, TorchNetwork, single_thread
from derive.verify.training_result import RunCheck, TorchValues
from derive.verify.verification import verify_sample

RELATIVE = 1e-12
SUBNORMAL_SLACK = 8 * 2.0**-1074  # a few roundings of float64's values below 2.2×10⁻³⁰⁸
EPSILON = 2.0**-52
# v − (ḡ)² within this share of v: float64 keeps fewer than 8 digits of it
CANCELLED = Decimal("1e-8")

Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class TorchStep:
    loss: float  # C before the step
    params: torch.Tensor  # θ after the step
    state: Tensors  # torch's state after the step, by derive's state names


def initial_state(rule: OptimizerRule, theta: torch.Tensor) -> Tensors:
    """torch.optim's state before the first step, as its classes set it up."""
    start = rule.optimizer.initial(rule.settings)
    state = {name: torch.full_like(theta, float(value)) for name, value in start.items()}
    state["step"] = torch.tensor(0.0)
    return state


# torch.optim's functional modules, as the entries' steps reach them (torch.optim keeps them
# out of its own namespace)
FUNCTIONAL = SimpleNamespace(sgd=sgd, adam=adam, adamw=adamw, rmsprop=rmsprop, adagrad=adagrad)


class TorchOptimizer:
    """One rule's step as torch.optim's functional implementation takes it (the entry's
    torch_step), its settings converted once (the comparison takes thousands of steps)."""

    def __init__(self, rule: OptimizerRule) -> None:
        self._step = rule.optimizer.torch_step
        self.settings = {key: _plain(value) for key, value in rule.settings.items()}
        self.settings["lr"] = float(rule.learning_rate)

    def step(self, theta: torch.Tensor, grad: torch.Tensor, state: Tensors) -> None:
        """One step, in place on θ and the state."""
        self._step(FUNCTIONAL, theta, grad, state, self.settings)


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(float(v) for v in value)
    return value if isinstance(value, bool) else float(value)  # type: ignore[arg-type]


class BatchModel:
    """The independent PyTorch model of every sample (each its own TorchNetwork), whose loss
    is the mean of theirs."""

    def __init__(self, network: Network) -> None:
        count = max(1, len(network.samples))
        self.models = [TorchNetwork(sample_network(network, s)) for s in range(count)]
        self.names = self.models[0].names
        self.theta = self.models[0].theta

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        """The batch's loss at θ (P,), differentiable."""
        row = theta.unsqueeze(0)
        return torch.stack([m.forward(row).loss[0] for m in self.models]).mean()


def torch_run(model: BatchModel, rule: OptimizerRule, steps: int) -> list[TorchStep]:
    """`steps` steps of torch.optim from the spec's parameters, each with PyTorch's gradient."""
    theta = model.theta.clone()
    state = initial_state(rule, theta)
    optimizer = TorchOptimizer(rule)
    out = []
    with single_thread():
        for _ in range(steps):
            leaf = theta.clone().requires_grad_(True)
            loss = model.loss(leaf)
            loss.backward()
            with torch.no_grad():
                optimizer.step(theta, leaf.grad.clone(), state)
            kept = {k: v.clone() for k, v in state.items() if k != "step"}
            out.append(TorchStep(float(loss.detach()), theta.clone(), kept))
    return out


def _rel(
    ours: Mapping[str, Decimal],
    names: tuple[str, ...],
    theirs: torch.Tensor,
    sizes: list[Mapping[str, Decimal]],
) -> float:
    """max |ours − theirs| over the parameters, relative to the largest number the step
    combined (`sizes`: what went in): a result much smaller than its terms (θ − γ·step,
    cancelling) keeps only the terms' float64 precision. Below float64's normal range
    (2.2×10⁻³⁰⁸: a state of squared gradients of 10⁻¹⁵⁷) it keeps only steps of 2⁻¹⁰⁷⁴, so
    a few of those are no difference."""
    mine = torch.tensor([float(ours[n]) for n in names], dtype=DTYPE)
    scale = max(
        float(theirs.abs().max()), *(float(abs(v[n])) for v in (ours, *sizes) for n in names)
    )
    apart = ((mine - theirs).abs() - SUBNORMAL_SLACK).clamp(min=0)
    return float(apart.max()) / scale if scale else 0.0


def _step_gaps(
    run: Run, names: tuple[str, ...], steps: list[TorchStep], before: State | None = None
) -> list[float]:
    """Per step, the largest relative difference over the parameters and the state; `before`
    is the state before the first of `run.steps` (None: the initial state)."""
    gaps = []
    if before is None:
        before = run.rule.initial_state({n: Decimal(0) for n in names})
    for ours, theirs in zip(run.steps, steps, strict=True):
        update = ours.update
        start = {n: s.before for n, s in update.params.items()}
        change = {n: s.change for n, s in update.params.items()}
        found = [_rel(update.after, names, theirs.params, [start, change])]
        found += [_rel(update.state[k], names, theirs.state[k], [before[k]]) for k in update.state]
        gaps.append(max(found))
        before = update.state
    return gaps


def check_run(run: Run) -> RunCheck:
    """Raise VerificationError unless torch.optim agrees with every step of `run`."""
    network = run.steps[0].batch.network
    model = BatchModel(network)
    names = model.names
    steps = torch_run(model, run.rule, len(run.steps))
    gaps = _step_gaps(run, names, steps)
    explained = tuple(t for t, gap in enumerate(gaps, 1) if not gap <= RELATIVE)
    cancelled = _check_step_by_step(run, model, explained) if explained else {}
    plain = tuple(_plain_step(step, names) for step in steps)
    largest = math.nan if any(math.isnan(gap) for gap in gaps) else max(gaps)
    return RunCheck(plain, largest, tuple(gaps), explained, cancelled)


def _plain_step(step: TorchStep, names: tuple[str, ...]) -> TorchValues:
    def by_name(values: torch.Tensor) -> dict[str, float]:
        return dict(zip(names, values.tolist(), strict=True))

    state = {key: by_name(values) for key, values in step.state.items()}
    return TorchValues(step.loss, by_name(step.params), state)


def _check_step_by_step(
    run: Run, model: BatchModel, steps: tuple[int, ...]
) -> dict[int, tuple[str, ...]]:
    """Each step's gradients four ways, and torch.optim's step from derive's parameters and
    state before it, fed derive's gradients; raises VerificationError if either disagrees.
    Returns the parameters each step cancelled (not compared: see `_cancelled`)."""
    names = model.names
    cancelled = {}

    def vector(values: Mapping[str, Decimal]) -> torch.Tensor:
        return torch.tensor([float(values[n]) for n in names], dtype=DTYPE)

    for t in steps:
        for derivation in run.steps[t - 1].batch.samples:
            verify_sample(derivation, descend(Batch((derivation,))))
        update = run.steps[t - 1].update
        theta = vector({n: s.before for n, s in update.params.items()})
        state = initial_state(run.rule, theta)
        if t > 1:
            state.update({k: vector(v) for k, v in run.steps[t - 2].update.state.items()})
        state["step"] = torch.tensor(float(t - 1))
        with torch.no_grad():
            gradient = vector({n: s.gradient for n, s in update.params.items()})
            TorchOptimizer(run.rule).step(theta, gradient, state)
        lost = _cancelled(run, t, names)
        kept = [k for k, n in enumerate(names) if n not in lost]
        fed = TorchStep(0.0, theta[kept], {k: v[kept] for k, v in state.items() if k != "step"})
        previous = run.steps[t - 2].update.state if t > 1 else None
        compared = tuple(names[k] for k in kept)
        gap = _step_gaps(_one_step(run, t), compared, [fed], previous)[0] if kept else 0.0
        if not gap <= RELATIVE:
            raise VerificationError(
                f"verification failed for {run.rule.name}, step {t}: derive's step differs "
                f"from torch.optim.{run.rule.optimizer.torch_class}'s by {gap:.1e} (relative), "
                "from the same parameters, state and gradients"
            )
        if lost:
            _check_noise(run, t, names, lost, state)
            cancelled[t] = lost
    return cancelled


def _check_noise(
    run: Run, t: int, names: tuple[str, ...], lost: tuple[str, ...], state: Tensors
) -> None:
    """torch.optim's v − (ḡ)² of each cancelled parameter (its own addcmul, on the state it
    just computed) is float64's rounding around derive's exact value: what makes its square
    root NaN. Otherwise that is not why torch differs, and the step is refused."""
    exact = run.steps[t - 1].update.state
    theirs = state["square_avg"].addcmul(state["grad_avg"], state["grad_avg"], value=-1)
    for name in lost:
        square = exact["square_avg"][name]
        ours = float(square - exact["grad_avg"][name] ** 2)
        if not abs(float(theirs[names.index(name)]) - ours) <= 8 * EPSILON * float(square):
            raise VerificationError(
                f"verification failed for {run.rule.name}, step {t}: torch.optim's "
                f"v − (ḡ)² for {name} is {float(theirs[names.index(name)])!r}, not float64's "
                f"rounding of derive's {ours!r}"
            )


def _cancelled(run: Run, t: int, names: tuple[str, ...]) -> tuple[str, ...]:
    """The parameters whose step `t` takes centered RMSprop's √(v − (ḡ)²) of a difference
    within CANCELLED of v: float64's value of it is rounding noise."""
    rule = run.rule
    if rule.optimizer.torch_class != "RMSprop" or not rule.settings["centered"]:
        return ()
    state = run.steps[t - 1].update.state
    square, mean = state["square_avg"], state["grad_avg"]
    return tuple(
        n for n in names if square[n] and abs(square[n] - mean[n] ** 2) <= CANCELLED * square[n]
    )


def _one_step(run: Run, t: int) -> Run:
    """Step `t` of a run alone, its state before it as the initial state."""
    return dataclasses.replace(run, steps=(run.steps[t - 1],))
