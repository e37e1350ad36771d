"""SymPy's own chain rule: differentiate the one whole-network loss expression.

Independent of derive's node-by-node walk: the loss is written out over the inputs and
parameters, every activation in elementary functions (exp, Piecewise for ReLU), and SymPy
differentiates that. It swells with the network, so it runs only within a budget of expression
size × parameters (calibrated to about 2 s on the project machine, see docs/performance.md);
the budget is a count, not a clock, so the same spec always gets the same verdict. Each value
comes with a bound on the rounding its written-out form gathered (derive.verify.bounded): 1 − σ(z)
written out cancels where a unit saturates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.network import LOSS, Network
from derive.verify.bounded import evaluate_bounded

BUDGET = 15_000  # expression size × parameters: at most ~125 µs each (measured)


@dataclass(frozen=True)
class SympyGradients:
    values: dict[str, Decimal | None]  # None: cannot be evaluated at these values
    errors: dict[str, Decimal]  # a bound on what rounding inside SymPy's written-out form cost
    parts: int  # distinct sub-expressions of the whole loss
    skipped: str | None  # why nothing was computed


def _elementary(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: hasattr(type(e), "elementary"), lambda e: e.elementary())


def whole_loss_size(network: Network) -> int:
    """The size of the whole loss written out as a tree (a shared part counts at every use:
    that is what SymPy's differentiation walks), found node by node without building it."""
    sizes: dict[str, int] = {}
    for node in network.order:
        total = 0
        for part in sp.preorder_traversal(_elementary(network.exprs[node])):
            name = part.name if isinstance(part, sp.Symbol) else None
            total += sizes.get(name, 1)
        sizes[node] = total
    return sizes[LOSS]


def whole_loss(network: Network) -> sp.Expr:
    """C over inputs, targets and parameters, activations in elementary functions. Built node
    by node, so shared sub-expressions stay shared."""
    symbols = network.symbols
    full: dict[str, sp.Expr] = {}
    for node in network.order:
        inner = {symbols[p]: full[p] for p in network.parents[node] if p in full}
        full[node] = _elementary(network.exprs[node]).xreplace(inner)
    return full[LOSS]


def sympy_gradients(network: Network) -> SympyGradients:
    """∂C/∂p for every parameter by SymPy's differentiation of the whole loss."""
    count = len(network.params)
    parts = whole_loss_size(network)
    if parts * count > BUDGET:
        reason = f"{count} parameters × {parts} expression parts is over the budget of {BUDGET:,}"
        return SympyGradients({}, {}, parts, reason)
    loss = whole_loss(network)
    at = {network.symbols[name]: value for name, value in network.given.items()}
    values: dict[str, Decimal | None] = {}
    errors: dict[str, Decimal] = {}
    for p in network.params:
        derivative = sp.diff(loss, network.symbols[p])
        try:
            values[p], errors[p] = evaluate_bounded(derivative, at)
        except (ArithmeticError, ValueError):
            values[p] = None
    return SympyGradients(values, errors, parts, None)
