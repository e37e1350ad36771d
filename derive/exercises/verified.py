"""Every variant verified before its answers are printed, in one helper process that imports
PyTorch once (a set of 30 does not pay the import 30 times), while this one typesets."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from derive.background import Service
from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.quantities import solution_values
from derive.engine.spec import Spec
from derive.engine.training import descend
from derive.errors import VerificationError
from derive.exercises.generator import Variant
from derive.verify.verification import Verification, verify_sample


def _import_torch() -> None:
    import torch  # noqa: F401 - imported once, before the first request


def _fingerprint(values: dict) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(name), str(value)) for name, value in values.items()))


def _verify(spec: Spec) -> tuple[Verification, tuple[tuple[str, str], ...]]:
    """The helper's work: the spec's derivation, verified, and what it computed."""
    derivation = derive(build_network(spec))
    update = descend(Batch((derivation,)))
    return verify_sample(derivation, update), _fingerprint(solution_values(derivation, update))


class Verifier:
    """The helper that verifies a set, started before the set is drawn: PyTorch's import
    overlaps drawing it. It verifies one set, then ends."""

    def __init__(self) -> None:
        self._service: Service[Spec, tuple[Verification, tuple]] = Service(_import_torch, _verify)

    def verifying(self, variants: Sequence[Variant]) -> Callable[[], list[Verification]]:
        """Start verifying; the returned function waits, and raises VerificationError if a
        check failed or the helper's derivation is not the one this process holds (it never
        is)."""
        answers = [self._service.ask(v.spec) for v in variants]
        self._service.close()

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


def verifying(variants: Sequence[Variant]) -> Callable[[], list[Verification]]:
    """Start verifying in a helper of their own (Verifier.verifying)."""
    return Verifier().verifying(variants)
