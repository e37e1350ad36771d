"""The engine's front door: spec → network → derivation → update → verification."""

from __future__ import annotations

from dataclasses import dataclass

from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.engine.update import Update, descend
from derive.verify.verification import Verification, verify


@dataclass(frozen=True)
class Solution:
    """A derivation and its update whose every number passed the checks."""

    derivation: Derivation
    update: Update
    verification: Verification


def solve(spec: Spec) -> Solution:
    derivation = derive(build_network(spec))
    update = descend(derivation)
    return Solution(derivation, update, verify(derivation, update))
