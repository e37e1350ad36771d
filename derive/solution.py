"""The engine's front door: spec → network → derivation → update → verification."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from derive.background import in_background
from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.engine.update import Update, descend
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
            f"{len(spec.samples)} samples: `derive train` works several; solve, sheet, check "
            "and exercises take one sample",
        )
    return spec


def solve(spec: Spec) -> Solution:
    one_sample(spec)
    derivation = derive(build_network(spec))
    update = descend(derivation)
    return Solution(derivation, update, verify(derivation, update))


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
