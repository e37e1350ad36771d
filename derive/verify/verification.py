"""Every number four ways: chain rule, SymPy, PyTorch autograd, finite differences; the update
against torch.optim.

The chain-rule values come from the Derivation; the others are computed here from scratch.
Each comparison allows what its method's own rounding explains, and no more:
- SymPy works on the same exact decimals: 1e-9 relative, plus what its written-out form loses
  (measured by evaluating it at two precisions).
- PyTorch float64: 1e-9 relative, plus an estimate of float64's rounding from a twin derivation
  at 15 digits with every given number nudged by a part in 10^15 (so cancellation and saturation
  show up in the twin as they do in float64).
- Finite differences: their own error estimate (derive.verify.finite_differences).
A kinked unit (ReLU) within a step of its kink is reported, not failed. Any other disagreement
raises VerificationError: derive never prints a number that failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from derive.engine.derivation import Derivation, derive
from derive.engine.exact import exact_context
from derive.engine.names import LOSS
from derive.engine.network import Network
from derive.engine.update import Update
from derive.errors import VerificationError
from derive.verify.sympy_check import SympyGradients, sympy_gradients

if TYPE_CHECKING:
    from derive.verify.torch_model import Forward, TorchNetwork

RELATIVE = 1e-9
EXACT_RELATIVE = Decimal("1e-9")
FLOAT_FLOOR = 64 * 2.0**-52  # × the size of a gradient's terms: float64's rounding of them
EXACT_FLOOR = Decimal("1e-47")  # the same at 50 digits
SAFETY_EXACT = Decimal(8)
SAFETY = 8.0  # how many times the estimated rounding a method may be off
NUDGE = Decimal("1e-15")


@dataclass(frozen=True)
class Check:
    chain_rule: float
    sympy: float | None  # None where skipped or not evaluable at these values
    autograd: float
    autograd_tolerance: float  # what float64 rounding may explain
    finite_difference: float
    finite_difference_error: float  # its own estimate
    finite_difference_step: float
    kink: bool  # a kinked unit changes side within the finite-difference step
    largest_disagreement: float  # the largest |method − chain rule| among the methods compared


@dataclass(frozen=True)
class Verification:
    checks: dict[str, Check]
    sympy_skipped: str | None  # why SymPy's whole-loss differentiation was skipped
    sympy_parts: int  # the size of the whole-loss expression (what the budget counts)
    sympy_unevaluable: tuple[str, ...]  # parameters whose SymPy form cannot be evaluated here
    rounding_explained: tuple[str, ...]  # PyTorch differs beyond 1e-9 here, within its rounding
    forward_disagreement: float  # largest |derive − PyTorch| / max(1, |value|), forward values
    update_disagreement: float  # largest |derive − torch.optim| over the updated parameters


def rounding_estimates(network: Network) -> tuple[Derivation, Derivation]:
    """A fresh exact derivation and its float-like twin (15 digits and float64's exponent
    range, given numbers nudged by about 10⁻¹⁵, no distances from ±1): their difference
    estimates what float64 rounding does to each value. Both are computed here, so the
    estimate never depends on the derivation under test."""
    given = {
        name: value * (1 + NUDGE * Decimal(((7 * k) % 11) - 5) / 5)
        for k, (name, value) in enumerate(network.given.items())
    }
    rough = derive(network, float_like=True, given=given)
    return derive(network), rough


def verify_sample(derivation: Derivation, update: Update) -> Verification:
    """One sample's derivation: cross-check every gradient, forward value and updated
    parameter (derive.solution.verify: a batch's); raise VerificationError on a disagreement
    that rounding does not explain."""
    if derivation.places is not None:
        raise ValueError("verify the exact derivation, not a rounded one")
    # torch takes a second to import: only here, so sheets can read this module's data types
    # (and fork their background work) without it
    from derive.verify.finite_differences import finite_differences, loss_noise
    from derive.verify.torch_model import TorchNetwork

    network = derivation.network
    reference, rough = rounding_estimates(network)
    model = TorchNetwork(network)
    forward, autograd = model.autograd()
    forward_gap = _check_forward(derivation, reference, rough, forward)
    noise = loss_noise(reference) + _gap(rough.loss, reference.loss)
    estimates = finite_differences(model, noise)
    symbolic = sympy_gradients(network)
    sizes = term_sizes(reference)
    checks = {}
    for k, param in enumerate(network.params):
        exact, fd = derivation.gradients[param].value, estimates[k]
        chain = float(exact)
        rounding = _gap(rough.gradients[param].value, reference.gradients[param].value)
        tolerance = SAFETY * rounding + FLOAT_FLOOR * float(sizes[param])  # autograd's
        compared = {}
        # float64 may put z on the other side of a kink, where the one-sided slopes differ;
        # and it cannot hold a gradient beyond 10³⁰⁸
        if not fd.kink and math.isfinite(chain):
            compared["autograd"] = (float(autograd[k]), tolerance)
            compared["finite differences"] = (fd.value, SAFETY * fd.error)
        for method, (value, allowed) in compared.items():
            if not abs(value - chain) <= RELATIVE * max(abs(value), abs(chain)) + allowed:
                raise _failure(param, chain, method, value)
        sympy_value = _sympy_checked(param, exact, symbolic, sizes[param])
        gaps = [abs(value - chain) for value, _ in compared.values()]
        gaps += [] if sympy_value is None else [float(abs(sympy_value - exact))]
        checks[param] = Check(
            chain_rule=chain,
            sympy=None if sympy_value is None else float(sympy_value),
            autograd=float(autograd[k]),
            autograd_tolerance=tolerance,
            finite_difference=fd.value,
            finite_difference_error=fd.error,
            finite_difference_step=fd.step,
            kink=fd.kink,
            largest_disagreement=max(gaps, default=0.0),
        )
    unevaluable = tuple(p for p in symbolic.values if checks[p].sympy is None)
    update_gap = _check_update(update, model, checks, noise)
    return Verification(
        checks,
        symbolic.skipped,
        symbolic.parts,
        unevaluable,
        _beyond_relative(checks),
        forward_gap,
        update_gap,
    )


def _sympy_checked(
    param: str, exact: Decimal, symbolic: SympyGradients, size: Decimal
) -> Decimal | None:
    """SymPy's value of the gradient where its written-out form keeps digits (else None),
    checked against the chain rule's exact value."""
    value = symbolic.values.get(param)
    if value is None or not _resolved(value, symbolic.errors[param], exact):
        return None
    allowed = EXACT_RELATIVE * max(abs(value), abs(exact))
    allowed += SAFETY_EXACT * symbolic.errors[param] + EXACT_FLOOR * size
    if not abs(value - exact) <= allowed:
        raise _failure(param, float(exact), "SymPy", float(value))
    return value


def _beyond_relative(checks: dict[str, Check]) -> tuple[str, ...]:
    """The parameters whose autograd value is off by more than RELATIVE (away from a kink):
    within their tolerance, explained by float64's rounding."""
    return tuple(
        p
        for p, c in checks.items()
        if not c.kink
        and abs(c.autograd - c.chain_rule) > RELATIVE * max(abs(c.autograd), abs(c.chain_rule))
    )


def _resolved(value: Decimal, error: Decimal, chain: Decimal) -> bool:
    """Whether SymPy's written-out form keeps digits here: the bound on its rounding is a
    millionth of the value or less (or both it and the chain rule are exactly 0)."""
    if not value.is_finite():
        return False
    if not value and not chain:
        return True
    return error <= Decimal("1e-6") * max(abs(value), abs(chain))


def term_sizes(derivation: Derivation) -> dict[str, Decimal]:
    """For every gradient, the sum of the sizes of its chain-rule terms: the scale rounding
    errors follow. A gradient that cancels to 0 (a bias shared by a softmax layer: Σ(o − y))
    still carries the rounding of its terms, in float64 and at 50 digits alike; so does a
    weight whose input is exactly 0 at a kink (ReLU(z) with z = 0, which float64's rounding
    of z may make 10⁻¹⁷): a weight's term counts its input's scale, not its value."""
    network = derivation.network
    children = network.children()
    scale = _value_scales(derivation)
    multiplies = {w: source for n in network.neurons for source, w in n.terms}
    with exact_context():
        size = {LOSS: Decimal(1)}
        for node in reversed(network.order[:-1]):
            size[node] = sum(
                (size[c] * abs(derivation.locals[(c, node)].value) for c in children[node]),
                Decimal(0),
            )

        def input_scale(z: str, p: str) -> Decimal:
            if p in multiplies:
                return scale[multiplies[p]]
            return abs(derivation.locals[(z, p)].value)

        return {
            p: sum((size[z] * input_scale(z, p) for z in children[p]), Decimal(0))
            for p in network.params
        }


def _value_scales(derivation: Derivation) -> dict[str, Decimal]:
    """Each node's value plus the sum of the sizes of the terms that made it: how far
    float64's rounding may move it (every activation's slope is at most 1)."""
    network, values = derivation.network, derivation.values
    scale = {x: abs(values[x]) for x in network.inputs}
    with exact_context():
        for layer in network.layers:
            for n in layer:
                terms = (scale[source] * abs(network.given[w]) for source, w in n.terms)
                bias = abs(network.given[n.bias]) if n.bias else Decimal(0)
                scale[n.z] = sum(terms, bias)
            widest = max(scale[n.z] for n in layer)  # softmax: each output reads every z
            for n in layer:
                scale[n.a] = abs(values[n.a]) + widest
    return scale


def _gap(rough: Decimal, exact: Decimal) -> float:
    """|twin − exact|: infinite where the twin lost the value altogether."""
    return float(abs(rough - exact)) if rough.is_finite() else float("inf")


def _check_forward(
    derivation: Derivation, reference: Derivation, rough: Derivation, forward: Forward
) -> float:
    """Largest difference, relative to max(1, |value|), of derive's forward values and
    PyTorch's; raises where rounding does not explain one."""
    network = derivation.network
    rows = [(LOSS, forward.loss[0])]
    for l, layer in enumerate(network.layers):
        for n in layer:
            rows += [(n.z, forward.pre[l][0, n.index]), (n.a, forward.post[l][0, n.index])]
    largest = 0.0
    for name, theirs in rows:
        ours, torch_value = derivation.values[name], float(theirs)
        difference = abs(float(ours) - torch_value)
        rounding = _gap(rough.values[name], reference.values[name])
        allowed = RELATIVE * max(1.0, abs(float(ours))) + SAFETY * rounding
        if not difference <= allowed:
            raise VerificationError(
                f"verification failed: {name} is {float(ours)!r} but PyTorch computes "
                f"{torch_value!r} (difference {difference:.3g}); please report this spec"
            )
        largest = max(largest, difference / max(1.0, abs(float(ours))))
    return largest


def _check_update(
    update: Update, model: TorchNetwork, checks: dict[str, Check], noise: float
) -> float:
    """The updated parameters against torch.optim's step, and the loss after it: PyTorch's
    forward pass at derive's updated parameters (at a kink, torch.optim's own step may take
    the other one-sided slope, and so another step)."""
    rate = float(update.rule.learning_rate)
    theirs = model.sgd_step(rate)
    largest = 0.0
    for k, (param, step) in enumerate(update.params.items()):
        ours = float(step.after)
        allowed = RELATIVE * max(1.0, abs(ours)) + rate * checks[param].autograd_tolerance
        difference = abs(ours - float(theirs[k]))
        if checks[param].kink:
            continue
        if not difference <= allowed:
            raise VerificationError(
                f"verification failed for {param}': derive gives {ours!r} but torch.optim.SGD "
                f"gives {float(theirs[k])!r}; please report this spec"
            )
        largest = max(largest, difference)
    if update.loss_after is not None:
        stepped = model.theta.new_tensor([float(s.after) for s in update.params.values()])
        ours, torch_loss = float(update.loss_after), model.loss_at(stepped)
        # float64's θ′ is off by its rounding, which moves C by about ε·Σ|∂C/∂θ|·|θ|
        slope = sum(
            abs(c.chain_rule) * max(1.0, abs(float(update.params[p].after)))
            for p, c in checks.items()
        )
        allowed = RELATIVE * max(1.0, abs(ours)) + SAFETY * (noise + 1e-15 * slope)
        if not abs(ours - torch_loss) <= allowed:
            raise VerificationError(
                f"verification failed: the loss after the step is {ours!r} but PyTorch "
                f"computes {torch_loss!r}; please report this spec"
            )
    return largest


def _failure(param: str, chain: float, method: str, value: float) -> VerificationError:
    return VerificationError(
        f"verification failed for {param}: chain rule gives {chain!r} but {method} gives "
        f"{value!r} (difference {abs(chain - value):.3g}); please report this spec"
    )
