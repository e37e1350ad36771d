"""The engine's front door: spec → network → derivation → update → verification."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from derive.background import in_background
from derive.engine.batch import Batch, derive_batch
from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.engine.update import GradientDescent, Update, descend
from derive.errors import InputError
from derive.verify.verification import Verification, verify


@dataclass(frozen=True)
class Solution:
    """A derivation and its update whose every number passed the checks."""

    derivation: Derivation
    update: Update
    verification: Verification


def one_sample(spec: Spec) -> Spec:
    """The spec, if it gives one sample: a worked step, its sheet and its checker take one."""
    if spec.samples:
        raise InputError(
            spec.source,
            "values.inputs",
            f"{len(spec.samples)} samples: `derive solve` and `derive train` work several; "
            "sheet, check and exercises take one sample",
        )
    return spec


def solve(spec: Spec) -> Solution:
    one_sample(spec)
    derivation = derive(build_network(spec))
    update = descend(derivation)
    return Solution(derivation, update, verify(derivation, update))


@dataclass(frozen=True)
class BatchSolution:
    """Several samples: each sample's derivation verified four ways, and one step of gradient
    descent on their mean gradient, checked against torch.optim's SGD on the batch."""

    batch: Batch
    update: Update
    verifications: tuple[Verification, ...]  # per sample
    update_disagreement: float  # largest relative difference from torch.optim's step


def solve_batch(spec: Spec) -> BatchSolution:
    """One gradient-descent step on a spec's samples, every number verified."""
    from derive.engine.training import OptimizerRule, Run, TrainingStep
    from derive.verify.training_check import check_run

    network = build_network(spec)
    batch = derive_batch(network)
    rule = GradientDescent(spec.learning_rate)
    update = rule.apply(batch.params, batch.gradients)
    update = replace(update, loss_after=batch.loss_at(update.after))
    verifications = tuple(verify(d, descend(d)) for d in batch.samples)
    # torch.optim's SGD on the batch takes the same step (θ − η·g), checked as a run of one
    sgd = OptimizerRule.named("sgd", spec.learning_rate)
    step = sgd.apply(batch.params, batch.gradients)
    run = Run(sgd, (TrainingStep(batch, step),), update.loss_after)
    return BatchSolution(batch, update, verifications, check_run(run).max_rel_diff)


class Solving:
    """A spec's derivation and update at once, its verification in a background process
    (importing PyTorch and checking take a second or two): every sheet of the spec, in every
    language, is built while it runs, and reads the one verification."""

    def __init__(self, spec: Spec) -> None:
        self.spec = one_sample(spec)
        self.derivation = derive(build_network(spec))
        self.update = descend(self.derivation)
        self._wait: Callable[[], Verification] | None = None

    def start(self) -> None:
        """Begin verifying in the background (at most once)."""
        if self._wait is None:
            self._wait = in_background(lambda: verify(self.derivation, self.update))

    @functools.cached_property
    def solution(self) -> Solution:
        """The verified solution: waits for the check, raises VerificationError if one failed."""
        self.start()
        return Solution(self.derivation, self.update, self._wait())
