"""Evaluate SymPy expressions over exact decimals at high precision.

Sums and products of the spec's decimals stay exact (0.5 × 0.7 + 0.3 × 0.4 is 0.47, not
0.47000000000000003), so rounding for display never flips a half; exp and log run at
PRECISION significant digits. Only the expression shapes derive itself builds are handled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Decimal, localcontext

import sympy as sp

from derive.engine.operations import relu, sigmoid, step

PRECISION = 50
_ONE = Decimal(1)


def _sigmoid(z: Decimal) -> Decimal:
    return _ONE / (_ONE + (-z).exp())


def _tanh(z: Decimal) -> Decimal:
    # written through e^(−2|z|) so large |z| never overflows
    e = (-2 * abs(z)).exp()
    return (_ONE - e) / (_ONE + e) * (1 if z >= 0 else -1)


FUNCTIONS: dict[type, Callable[[Decimal], Decimal]] = {
    sigmoid: _sigmoid,
    sp.tanh: _tanh,
    relu: lambda z: max(z, Decimal(0)),
    step: lambda z: _ONE if z > 0 else Decimal(0),
    sp.exp: lambda z: z.exp(),
    sp.log: lambda z: z.ln(),
}

_RELATIONS: dict[type, Callable[[Decimal, Decimal], bool]] = {
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
}


def evaluate(expr: sp.Basic, values: Mapping[sp.Symbol, Decimal]) -> Decimal:
    """The value of `expr` with every free symbol taken from `values`."""
    with localcontext(prec=PRECISION, Emax=MAX_EMAX, Emin=MIN_EMIN):
        return +_eval(expr, values)


def _eval(expr: sp.Basic, values: Mapping[sp.Symbol, Decimal]) -> Decimal:
    if isinstance(expr, sp.Symbol):
        return values[expr]
    if isinstance(expr, sp.Integer):
        return Decimal(int(expr))
    if isinstance(expr, sp.Rational):
        return Decimal(expr.p) / Decimal(expr.q)
    if isinstance(expr, sp.Float):
        return Decimal(str(expr))
    if isinstance(expr, sp.Add):
        return sum((_eval(a, values) for a in expr.args), Decimal(0))
    if isinstance(expr, sp.Mul):
        result = _ONE
        for a in expr.args:
            result *= _eval(a, values)
        return result
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return _eval(base, values).sqrt()
        if not exponent.is_Integer:
            raise ValueError(f"cannot evaluate the power {expr}")
        return _eval(base, values) ** int(exponent)
    if isinstance(expr, sp.Piecewise):
        for piece, condition in expr.args:
            if _holds(condition, values):
                return _eval(piece, values)
        raise ValueError(f"no branch of {expr} holds")
    function = FUNCTIONS.get(type(expr))
    if function is not None:
        return function(_eval(expr.args[0], values))
    raise ValueError(f"cannot evaluate {expr!r}")


def _holds(condition: sp.Basic, values: Mapping[sp.Symbol, Decimal]) -> bool:
    if condition is sp.true:
        return True
    relation = _RELATIONS.get(type(condition))
    if relation is None:
        raise ValueError(f"cannot evaluate the condition {condition}")
    return relation(_eval(condition.lhs, values), _eval(condition.rhs, values))


def round_places(value: Decimal, places: int) -> Decimal:
    """Round half up as a student with a calculator does: to `places` decimals, or to `places`
    significant digits where that keeps more (a gradient of 0.00887 is not 0.009)."""
    decimals = max(places, places - value.adjusted() - 1) if value else places
    return round_fixed(value, decimals)


def update_places(step: Decimal, places: int) -> int:
    """Decimals that keep a step p − η·g visible in p′: 0.3 − 0.000328 shows 0.3003, not 0.300."""
    return max(places, -step.adjusted()) if step else places


def round_fixed(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
