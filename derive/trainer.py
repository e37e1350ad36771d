"""Training's front door: spec (and the command line's choices) → optimizer rules → exact runs
→ every step checked against torch.optim (in a helper process while sheets are built)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from decimal import Decimal

from derive.background import in_background
from derive.engine.network import Network, build_network
from derive.engine.optimizers import OPTIMIZERS
from derive.engine.spec import Spec
from derive.engine.training import OptimizerRule, Run, train
from derive.engine.training_spec import DEFAULT_STEPS
from derive.verify.training_result import RunCheck

DEFAULT_PARAM = "w5"  # the seed's: the parameter whose steps are worked in full


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


def _check_all(runs: list[Run]) -> list[RunCheck]:
    from derive.verify.training_check import check_run

    return [check_run(run) for run in runs]


class Training:
    """The runs of every chosen optimizer, worked exactly here, checked in a helper process
    (PyTorch's import and the runs take a second or two)."""

    def __init__(self, spec: Spec, rules: list[OptimizerRule], steps: int) -> None:
        self.spec = spec
        self.network: Network = build_network(spec)
        self.runs = [train(self.network, rule, steps) for rule in rules]
        self._wait: Callable[[], list[RunCheck]] | None = None

    def start(self) -> None:
        if self._wait is None:
            runs = self.runs
            self._wait = in_background(lambda: _check_all(runs))

    @functools.cached_property
    def checked(self) -> list[RunCheck]:
        """Each run's check, in order; raises VerificationError if torch.optim disagrees."""
        self.start()
        assert self._wait is not None
        return self._wait()
