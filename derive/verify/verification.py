"""Every gradient four ways: chain rule, SymPy, PyTorch autograd, finite differences.

The chain-rule values come from the Derivation; the other three are computed here from scratch.
Chain rule, SymPy and autograd must agree to 1e-9 relative; finite differences to a tolerance
that fits their step. A ReLU crossing zero inside the step is reported, not failed. Any other
disagreement raises VerificationError: derive never prints a number that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import sympy as sp

from derive.engine.derivation import Derivation
from derive.engine.exact import evaluate
from derive.engine.network import LOSS, Network
from derive.errors import VerificationError

if TYPE_CHECKING:
    from derive.verify.torch_model import Forward

SYMPY_LIMIT = 40  # parameters; beyond this the whole-loss expression swells (docs/performance.md)
STEP = 1e-5  # finite-difference step
EXACT_RELATIVE, EXACT_FLOOR = 1e-9, 1e-12
FD_RELATIVE, FD_FLOOR = 1e-6, 1e-8


@dataclass(frozen=True)
class Check:
    chain_rule: float
    sympy: float | None  # None where skipped
    autograd: float
    finite_difference: float
    kink: bool  # a ReLU changes side within the finite-difference step
    largest_disagreement: float  # the largest |method − chain rule| among the methods compared


@dataclass(frozen=True)
class Verification:
    checks: dict[str, Check]
    sympy_skipped: str | None  # why SymPy's whole-loss differentiation was skipped
    forward_disagreement: float  # largest |derive − PyTorch| over the forward values
    step: float


def sympy_gradients(network: Network) -> dict[str, Decimal]:
    """Differentiate the one whole-network loss expression by SymPy (slow beyond small nets)."""
    symbols = network.symbols
    full: dict[str, sp.Expr] = {}
    for node in network.order:
        inner = {symbols[p]: full[p] for p in network.parents[node] if p in full}
        full[node] = network.exprs[node].xreplace(inner)
    loss = full[LOSS].rewrite(sp.exp).rewrite(sp.Piecewise)
    at = {symbols[name]: value for name, value in network.given.items()}
    return {p: evaluate(sp.diff(loss, symbols[p]), at) for p in network.params}


def verify(derivation: Derivation) -> Verification:
    """Cross-check every gradient and forward value; raise VerificationError on disagreement."""
    if derivation.places is not None:
        raise ValueError("verify the exact derivation, not a rounded one")
    from derive.verify.torch_model import TorchNetwork  # torch takes a second to import

    network = derivation.network
    model = TorchNetwork(network)
    forward, autograd = model.autograd()
    forward_gap = _forward_gap(derivation, forward)
    if forward_gap > EXACT_RELATIVE:
        raise VerificationError(
            f"verification failed: forward values differ from PyTorch by {forward_gap:.3g}"
        )
    fd, kinks = model.finite_differences(STEP)
    count = len(network.params)
    skipped = None
    if count > SYMPY_LIMIT:
        symbolic = None
        skipped = f"{count} parameters > {SYMPY_LIMIT}: whole-loss differentiation swells"
    else:
        symbolic = sympy_gradients(network)
    loss_scale = max(1.0, abs(float(derivation.loss)))
    checks = {}
    for k, param in enumerate(network.params):
        chain = float(derivation.gradients[param].value)
        others = {"autograd": float(autograd[k])}
        if symbolic is not None:
            others["sympy"] = float(symbolic[param])
        # On a ReLU kink the one-sided derivatives differ: float64 rounding may put PyTorch's
        # z on the other side of 0, and finite differences straddle it. Report, don't fail.
        # SymPy works on the same exact decimals as the chain rule and is never excused.
        fd_value, kink = float(fd[k]), bool(kinks[k])
        for method, value in others.items():
            excused = kink and method == "autograd"
            if not excused and not _close(value, chain, EXACT_RELATIVE, EXACT_FLOOR):
                raise _failure(param, chain, method, value)
        if not kink and not _close(fd_value, chain, FD_RELATIVE, FD_FLOOR * loss_scale):
            raise _failure(param, chain, "finite differences", fd_value)
        gaps = [abs(v - chain) for v in (*others.values(), fd_value)]
        checks[param] = Check(
            chain_rule=chain,
            sympy=others.get("sympy"),
            autograd=others["autograd"],
            finite_difference=fd_value,
            kink=kink,
            largest_disagreement=max(gaps),
        )
    return Verification(checks, skipped, forward_gap, STEP)


def _close(a: float, b: float, relative: float, floor: float) -> bool:
    return abs(a - b) <= relative * max(abs(a), abs(b)) + floor


def _forward_gap(derivation: Derivation, forward: Forward) -> float:
    """Largest difference, relative to max(1, |value|), of derive's forward values and PyTorch's."""
    pairs = [(derivation.loss, forward.loss[0])]
    for l, layer in enumerate(derivation.network.layers):
        for n in layer:
            pairs.append((derivation.values[n.z], forward.pre[l][0, n.index]))
            pairs.append((derivation.values[n.a], forward.post[l][0, n.index]))
    return max(
        abs(float(ours) - float(theirs)) / max(1.0, abs(float(ours))) for ours, theirs in pairs
    )


def _failure(param: str, chain: float, method: str, value: float) -> VerificationError:
    return VerificationError(
        f"verification failed for {param}: chain rule gives {chain!r} but {method} gives "
        f"{value!r} (difference {abs(chain - value):.3g}); please report this spec"
    )
