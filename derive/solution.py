"""The engine's front door: spec → network → derivation → verification."""

from __future__ import annotations

from dataclasses import dataclass

from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec
from derive.verify.verification import Verification, verify


@dataclass(frozen=True)
class Solution:
    """A derivation whose every gradient passed the four-way check."""

    derivation: Derivation
    verification: Verification


def solve(spec: Spec) -> Solution:
    derivation = derive(build_network(spec))
    return Solution(derivation, verify(derivation))
