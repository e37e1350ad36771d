"""The engine's front door: spec → network → derivation → update → verification."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from derive.background import in_background
from derive.engine.batch import Batch, derive_batch
from derive.engine.derivation import Derivation
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.engine.training import descend
from derive.engine.update import Update
from derive.errors import InputError
from derive.verify.verification import Verification, verify


@dataclass(frozen=True)
class Solution:
    """A derivation and its update whose every number passed the checks."""

    derivation: Derivation
    update: Update
    verification: Verification

    @property
    def spec(self) -> Spec:
        return self.derivation.network.spec

    @property
    def worked(self) -> Derivation:
        """What the checker and the sheet's builder read."""
        return self.derivation


def one_sample(spec: Spec) -> Spec:
    """The spec, if it gives one sample: an exercise set varies one sample's numbers."""
    if spec.samples:
        raise InputError(
            spec.source,
            "values.inputs",
            f"{len(spec.samples)} samples: exercises vary one sample's numbers "
            "(solve, sheet, check and train take several)",
        )
    return spec


def solve(spec: Spec) -> Solution:
    """One sample's step, every number verified (several samples: solve_batch)."""
    if spec.samples:
        raise ValueError("several samples: solve_batch works them")
    batch = derive_batch(build_network(spec))
    update = descend(batch)
    return Solution(batch.samples[0], update, verify(batch.samples[0], update))


@dataclass(frozen=True)
class BatchSolution:
    """Several samples: each sample's derivation verified four ways, and one step of gradient
    descent on their mean gradient, checked against torch.optim's SGD on the batch."""

    batch: Batch
    update: Update
    verifications: tuple[Verification, ...]  # per sample
    update_disagreement: float  # largest relative difference from torch.optim's step
    # beyond 1e-12, explained: torch.optim fed derive's gradients agrees, and PyTorch's own
    # gradients differ within their rounding, or at a kink (samples_at_kinks)
    update_explained: bool = False

    @property
    def samples_at_kinks(self) -> tuple[int, ...]:
        """The samples (from 1) with a unit at its kink (z = 0 at a ReLU)."""
        return tuple(
            n
            for n, v in enumerate(self.verifications, start=1)
            if any(c.kink for c in v.checks.values())
        )

    @property
    def spec(self) -> Spec:
        return self.batch.network.spec

    @property
    def worked(self) -> Batch:
        """What the checker and the sheet's builder read."""
        return self.batch


def verify_batch(batch: Batch, update: Update) -> BatchSolution:
    """Every sample verified four ways, and the step checked against torch.optim's SGD."""
    from derive.engine.training import Run, TrainingStep
    from derive.verify.training_check import check_run

    verifications = tuple(verify(d, descend(Batch((d,)))) for d in batch.samples)
    # torch.optim's SGD on the batch takes the same step (θ − η·g), checked as a run of one
    run = Run(update.rule, (TrainingStep(batch, update),), update.loss_after)
    checked = check_run(run)
    explained = bool(checked.explained_steps)
    return BatchSolution(batch, update, verifications, checked.max_rel_diff, explained)


def solve_batch(spec: Spec) -> BatchSolution:
    """One gradient-descent step on a spec's samples, every number verified."""
    batch = derive_batch(build_network(spec))
    return verify_batch(batch, descend(batch))


class Solving:
    """A spec's derivation (one per sample, with several) and update at once, its
    verification in a background process (importing PyTorch and checking take a second or
    two): every sheet of the spec, in every language, is built while it runs, and reads the
    one verification."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.batch = derive_batch(build_network(spec))
        self.several = bool(spec.samples)
        self.update = descend(self.batch)
        self._wait: Callable[[], Solution | BatchSolution] | None = None

    @property
    def derivation(self) -> Derivation:
        """The derivation of the (first) sample."""
        return self.batch.samples[0]

    def start(self) -> None:
        """Begin verifying in the background (at most once)."""
        if self._wait is None:
            if self.several:
                self._wait = in_background(lambda: verify_batch(self.batch, self.update))
            else:
                d, u = self.derivation, self.update
                self._wait = in_background(lambda: Solution(d, u, verify(d, u)))

    @functools.cached_property
    def solution(self) -> Solution | BatchSolution:
        """The verified solution: waits for the check, raises VerificationError if one failed."""
        self.start()
        return self._wait()
