"""Every variant verified before its answers are printed, on the verification worker, which
imports PyTorch once (a set of 30 does not pay the import 30 times), while this process
typesets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.quantities import solution_values
from derive.engine.spec import Spec
from derive.engine.training import descend
from derive.errors import VerificationError
from derive.exercises.generator import Variant
from derive.verify.verification import Verification, verify_sample
from derive.workers import VERIFY, Workers


def _fingerprint(values: dict) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(name), str(value)) for name, value in values.items()))


def _verify(spec: Spec) -> tuple[Verification, tuple[tuple[str, str], ...]]:
    """The worker's task: the spec's derivation, verified, and what it computed."""
    derivation = derive(build_network(spec))
    update = descend(Batch((derivation,)))
    return verify_sample(derivation, update), _fingerprint(solution_values(derivation, update))


def verifying(workers: Workers, variants: Sequence[Variant]) -> Callable[[], list[Verification]]:
    """Start verifying the variants; the returned function waits, and raises
    VerificationError if a check failed or the worker's derivation is not the one this
    process holds (it never is)."""
    answers = [workers.submit(VERIFY, _verify, v.spec) for v in variants]

    def wait() -> list[Verification]:
        out = []
        for v, answer in zip(variants, answers, strict=True):
            verification, fingerprint = answer()
            own = _fingerprint(solution_values(v.derivation, descend(v.batch)))
            if fingerprint != own:
                raise VerificationError(f"variant {v.id}: the verified derivation differs")
            out.append(verification)
        return out

    return wait
