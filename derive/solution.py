"""The engine's front door: spec → network → a batch of derivations (one per sample) → update
→ verification. One sample is a batch of one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from derive.engine.batch import Batch, derive_batch
from derive.engine.derivation import Derivation
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.engine.training import Run, TrainingStep, descend
from derive.engine.update import Update
from derive.errors import InputError
from derive.verify.verification import Verification, verify_sample
from derive.workers import VERIFY, Workers


@dataclass(frozen=True)
class Solution:
    """A batch of N ≥ 1 samples and its step of gradient descent, every number verified: each
    sample's derivation four ways and its own step against torch.optim's SGD; with several, the
    step on their mean gradient against torch.optim's SGD on the batch."""

    batch: Batch
    update: Update
    verifications: tuple[Verification, ...]  # per sample
    # several samples: the largest relative difference of the batch's step from torch.optim's
    # (None for one sample, whose step its verification checks)
    update_disagreement: float | None = None
    # beyond 1e-12, explained: torch.optim fed derive's gradients agrees, and PyTorch's own
    # gradients differ within their rounding, or at a kink (samples_at_kinks)
    update_explained: bool = False

    @property
    def derivation(self) -> Derivation:
        """The (first) sample's derivation."""
        return self.batch.samples[0]

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


def verify(batch: Batch, update: Update) -> Solution:
    """Every sample verified four ways, with its step (one sample: `update`; of several, its
    own); several samples' `update` checked against torch.optim's SGD on the batch."""
    if not batch.network.several:
        return Solution(batch, update, (verify_sample(batch.samples[0], update),))
    from derive.verify.training_check import check_run

    verifications = tuple(verify_sample(d, descend(Batch((d,)))) for d in batch.samples)
    # torch.optim's SGD on the batch takes the same step (θ − η·g), checked as a run of one
    run = Run(update.rule, (TrainingStep(batch, update),), update.loss_after)
    checked = check_run(run)
    explained = bool(checked.explained_steps)
    return Solution(batch, update, verifications, checked.max_rel_diff, explained)


def solve(spec: Spec) -> Solution:
    """A spec's step of gradient descent on its samples (one or several), every number
    verified."""
    batch = derive_batch(build_network(spec))
    return verify(batch, descend(batch))


class Solving:
    """A spec's derivation (one per sample, with several) and update at once, its
    verification on the verification worker (importing PyTorch and checking take a second or
    two): every sheet of the spec, in every language, is built while it runs, and reads the
    one verification."""

    def __init__(self, spec: Spec, workers: Workers | None = None) -> None:
        self.spec = spec
        self.workers = workers or Workers()
        self.batch = derive_batch(build_network(spec))
        self.update = descend(self.batch)
        self._wait: Callable[[], Solution] | None = None

    @property
    def derivation(self) -> Derivation:
        """The derivation of the (first) sample."""
        return self.batch.samples[0]

    def start(self) -> None:
        """Begin verifying on the worker (at most once)."""
        if self._wait is None:
            self._wait = self.workers.submit(VERIFY, verify, self.batch, self.update)

    @functools.cached_property
    def solution(self) -> Solution:
        """The verified solution: waits for the check, raises VerificationError if one failed."""
        self.start()
        assert self._wait is not None
        return self._wait()
