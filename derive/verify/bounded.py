"""Evaluate a written-out expression with a bound on its own rounding error.

SymPy's derivative of a whole loss writes 1 − σ(z) as e^z/(e^z + e^w) − …: where a unit
saturates, terms of size e^500 cancel to leave 10⁻⁵⁶⁰, and at 50 digits (or 100) the result is
noise, sometimes noise that looks stable. So each value carries a first-order bound on the
rounding it has gathered (running error analysis: a sum adds half an ulp of the sum of its terms'
sizes, a product scales its factors' errors, and so on); a comparison with the chain rule allows
that bound, and a value whose bound exceeds it has no digits to compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import sympy as sp

from derive.engine.exact import PRECISION, exact_context

Bounded = tuple[Decimal, Decimal]  # (value, bound on its error)


def evaluate_bounded(
    expr: sp.Basic, values: Mapping[sp.Symbol, Decimal], precision: int = PRECISION
) -> Bounded:
    """(value, error bound) of `expr` at `values` (taken as exact). ValueError where the
    expression has no value: a step function at its jump, within the error of its argument."""
    with exact_context(precision):
        unit = Decimal(10) ** (1 - precision)
        return _Bounded(values, unit).eval(expr)


class _Bounded:
    def __init__(self, values: Mapping[sp.Symbol, Decimal], unit: Decimal) -> None:
        self.values, self.unit = values, unit
        self.memo: dict[sp.Basic, Bounded] = {}

    def eval(self, expr: sp.Basic) -> Bounded:
        found = self.memo.get(expr)
        if found is None:
            found = self.memo[expr] = self._eval(expr)
        return found

    def _rounded(self, value: Decimal, error: Decimal) -> Bounded:
        return +value, error + self.unit * abs(value)

    def _eval(self, expr: sp.Basic) -> Bounded:
        zero = Decimal(0)
        if isinstance(expr, sp.Symbol):
            return self.values[expr], zero
        if isinstance(expr, sp.Rational):
            return self._rounded(Decimal(expr.p) / Decimal(expr.q), zero)
        if isinstance(expr, sp.Add):
            terms = [self.eval(a) for a in expr.args]
            total = sum((v for v, _ in terms), zero)
            size = sum((abs(v) for v, _ in terms), zero)
            return total, sum((e for _, e in terms), zero) + self.unit * size
        if isinstance(expr, sp.Mul):
            value, error = Decimal(1), zero
            for factor, factor_error in map(self.eval, expr.args):
                error = error * abs(factor) + abs(value) * factor_error
                value *= factor
            return self._rounded(value, error)
        if isinstance(expr, sp.Pow):
            return self._pow(expr)
        if isinstance(expr, sp.exp):
            x, error = self.eval(expr.args[0])
            value = x.exp()
            return self._rounded(value, abs(value) * error)
        if isinstance(expr, sp.log):
            x, error = self.eval(expr.args[0])
            if error >= abs(x):
                raise ValueError("the logarithm of a value that may be 0")
            return self._rounded(x.ln(), error / abs(x))
        if isinstance(expr, sp.Max):
            found = [self.eval(a) for a in expr.args]
            return max(found, key=lambda pair: pair[0])
        if isinstance(expr, sp.Heaviside):
            x, error = self.eval(expr.args[0])
            if abs(x) <= error:
                raise ValueError("a step at its jump")
            return Decimal(1 if x > 0 else 0), zero
        raise ValueError(f"cannot evaluate {type(expr).__name__} with an error bound")

    def _pow(self, expr: sp.Pow) -> Bounded:
        base_expr, exponent = expr.args
        base, error = self.eval(base_expr)
        if exponent == sp.Rational(1, 2):
            root = base.sqrt()
            return self._rounded(root, error / (2 * root) if root else error)
        if not exponent.is_Integer:
            raise ValueError(f"cannot evaluate the power {expr}")
        n = int(exponent)
        if n < 0 and error >= abs(base):
            raise ValueError("a division by a value that may be 0")
        value = base**n
        return self._rounded(value, abs(n) * abs(base) ** (n - 1) * error)
