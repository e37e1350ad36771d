"""Training's front door: spec (and the command line's choices) → optimizer rules → exact runs
→ every step checked against torch.optim (on the verification worker while sheets are built)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.network import Network, build_network
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import Spec
from derive.engine.training import OptimizerRule, Run, train
from derive.engine.training_spec import DEFAULT_STEPS
from derive.errors import InputError
from derive.verify.training_result import Boundary, Comparison, RunCheck
from derive.workers import VERIFY, Workers

DEFAULT_PARAM = "w5"  # the seed's: the parameter whose steps are worked in full
# exact gradients a run may take, one per parameter, sample, step and optimizer (about 40 µs
# each): within it derive train ends within a minute on two cores (benchmarks/limits.py)
MAX_GRADIENTS = 1_000_000


def within_budget(network: Network, optimizers: int, steps: int) -> None:
    """InputError, before any work, for a run that would take minutes."""
    params, samples = len(network.params), len(network.spec.batch)
    total = params * samples * steps * optimizers
    if total > MAX_GRADIENTS:
        raise InputError(
            network.spec.source,
            "train",
            f"{params:,} parameters × {samples} sample{'s' if samples > 1 else ''} × "
            f"{steps} steps × {optimizers} optimizer{'s' if optimizers > 1 else ''} is "
            f"{total:,} exact gradients, more than the {MAX_GRADIENTS:,} derive train works "
            "within a minute: choose fewer optimizers (--optimizer) or steps (--steps)",
        )


def rules(
    spec: Spec, names: Sequence[str] | None = None, lr: Decimal | None = None
) -> list[OptimizerRule]:
    """The optimizers to run: `names`, else the spec's [training] optimizer, else all seven.
    The learning rate: `lr`, else [training] lr, else values.learning_rate. The spec's
    hyperparameters belong to its optimizer; the others take torch's defaults."""
    training = spec.training
    if not names:
        names = [training.optimizer] if training and training.optimizer else list(OPTIMIZERS)
    rate = lr or (training.lr if training and training.lr else None) or spec.learning_rate
    out = []
    for name in names:
        given = training.hyperparameters if training and training.optimizer == name else {}
        out.append(OptimizerRule.named(name, rate, given))
    return out


def step_count(spec: Spec, steps: int | None = None) -> int:
    return steps or (spec.training.steps if spec.training else DEFAULT_STEPS)


COMPARISON_STEPS = 100  # the longer run every optimizer is compared over (float64)
# the learning rates each optimizer is compared at (besides the sheet's own): each is shown at
# the one whose loss ends lowest, so that none is judged at a rate chosen for another
RATE_GRID = tuple(Decimal(r) for r in ("0.01", "0.03", "0.1", "0.3", "1"))


@dataclass(frozen=True)
class Checked:
    """What the verification worker (PyTorch) computed: each run's check, the optimizers
    compared over a longer run, and (two inputs, one output, several samples) the decision
    boundary before and after training."""

    checks: list[RunCheck]
    comparison: Comparison | None  # None: not asked for (JSON holds the checks alone)
    boundary: Boundary | None


def draws_boundary(network: Network) -> bool:
    """A boundary in the input plane: two inputs, one output in (0, 1), several samples."""
    spec = network.spec
    return (
        spec.layers[0] == 2
        and spec.layers[-1] == 1
        and spec.activations[-1] == "sigmoid"
        and len(network.samples) > 1
    )


def _check_all(runs: list[Run], compared: bool, boundary_rule: OptimizerRule | None) -> Checked:
    from derive.verify.comparison import boundary, compare
    from derive.verify.training_check import check_run

    network = runs[0].steps[0].batch.network
    checks = [check_run(run) for run in runs]
    rules = [run.rule for run in runs]
    comparison = compare(network, rules, COMPARISON_STEPS, RATE_GRID) if compared else None
    drawn = boundary(network, boundary_rule) if boundary_rule else None
    return Checked(checks, comparison, drawn)


class Training:
    """The runs of every chosen optimizer, worked exactly here, checked on the verification worker
    (PyTorch's import and the runs take a second or two)."""

    def __init__(
        self,
        spec: Spec,
        rules: list[OptimizerRule],
        steps: int,
        param: str = DEFAULT_PARAM,
        workers: Workers | None = None,
    ) -> None:
        self.spec, self.workers = spec, workers or Workers()
        self.network: Network = build_network(spec)
        if param not in self.network.params:
            known = ", ".join(self.network.params)
            raise InputError("train: --param", param, f"not a parameter of {spec.source} ({known})")
        self.param = param
        within_budget(self.network, len(rules), steps)
        self.runs = [train(self.network, rule, steps) for rule in rules]
        self._wait: Callable[[], Checked] | None = None

    @property
    def boundary_rule(self) -> OptimizerRule | None:
        """The optimizer trained until the samples separate: Adam when it runs, else the
        first; None when the network has no boundary to draw."""
        if not draws_boundary(self.network):
            return None
        rules = {run.rule.name: run.rule for run in self.runs}
        return rules.get("adam", self.runs[0].rule)

    def start(self, compared: bool = True) -> None:
        """Start the worker on the checks, and (`compared`, for the sheets) the comparison and
        the boundary."""
        if self._wait is None:
            rule = self.boundary_rule if compared else None
            self._wait = self.workers.submit(VERIFY, _check_all, self.runs, compared, rule)

    @functools.cached_property
    def checked(self) -> Checked:
        """What the worker computed; raises VerificationError if torch.optim disagrees."""
        self.start()
        assert self._wait is not None
        return self._wait()
