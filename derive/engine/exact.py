"""Evaluate SymPy expressions over exact decimals at high precision, stably at any magnitude.

Sums and products of the spec's decimals stay exact (0.5 × 0.7 + 0.3 × 0.4 is 0.47, not
0.47000000000000003), so rounding for display never flips a half; exp and log run at
`precision` significant digits over Decimal's whole exponent range (e^−1000 is a number, not 0).

A saturated unit's output (σ(40) = 1 − 4.2×10⁻¹⁸) is also known by its distance from ±1,
computed from z (a `Near`). Where an expression subtracts such a value from a whole number
(1 − o, y − o, 1 − h²), the distance is used instead, so no digit is lost to cancellation
however far the unit saturates. A loss's ln o and ln(1 − o) come from the logits (given as
`logs`), and a softmax output e^a/Σe^b is computed with every exponent shifted by the
largest. Only the expression shapes derive itself builds are handled.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_UP,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

import sympy as sp
from sympy.logic import boolalg

PRECISION = 50
_ONE = Decimal(1)


@dataclass(frozen=True)
class Near:
    """A value pole·(1 − distance) close to pole = ±1, known by its distance."""

    pole: int
    distance: Decimal


def _heaviside(x: Decimal, *convention: Decimal) -> Decimal:
    """SymPy's derivative of max(0, z). At z = 0 the one-sided slopes differ and no value is
    right (SymPy's own convention, ½, is PyTorch's neither): it cannot be evaluated there."""
    if not x:
        raise ValueError("Heaviside(0): a kink")
    return Decimal(1 if x > 0 else 0)


_ELEMENTARY: dict[type, Callable[..., Decimal]] = {
    sp.exp: lambda z: z.exp(),
    sp.log: lambda z: z.ln(),
    sp.Max: lambda *args: max(args),
    sp.Heaviside: _heaviside,
}

_RELATIONS: dict[type, Callable[[Decimal, Decimal], bool]] = {
    sp.StrictGreaterThan: lambda a, b: a > b,
    sp.GreaterThan: lambda a, b: a >= b,
    sp.StrictLessThan: lambda a, b: a < b,
    sp.LessThan: lambda a, b: a <= b,
    sp.Equality: lambda a, b: a == b,
    sp.Unequality: lambda a, b: a != b,
}


def exact_context(precision: int = PRECISION) -> contextlib.AbstractContextManager:
    """Decimal arithmetic at `precision` digits over the whole exponent range (±10¹⁸). A
    result too large for it raises (Overflow) rather than becoming infinite; one too small
    (below 10^−(10¹⁸): σ(−10²⁰), a softplus unit's e^−|z| far out) becomes 0, as it does in
    float64 and PyTorch long before, so that a network PyTorch computes is worked too."""
    return localcontext(
        prec=precision,
        Emax=MAX_EMAX,
        Emin=MIN_EMIN,
        traps=[InvalidOperation, DivisionByZero, Overflow],
    )


def float_context() -> contextlib.AbstractContextManager:
    """Decimal arithmetic that rounds about as float64 does: 15 digits, exponents within ±308;
    what goes beyond becomes 0, infinity or NaN, as in float64."""
    return localcontext(prec=15, Emax=308, Emin=-307, traps=[])


def evaluate(
    expr: sp.Basic,
    values: Mapping[sp.Symbol, Decimal],
    near: Mapping[sp.Symbol, Near] | None = None,
    precision: int = PRECISION,
    float_like: bool = False,
    logs: Mapping[sp.Expr, Decimal] | None = None,
) -> Decimal:
    """The value of `expr` with every free symbol taken from `values`; `near` gives the
    distance from ±1 of values that sit close to it, `logs` the logarithm of expressions
    known from their logits (ln o, ln(1 − o)). `float_like` rounds as float64 would."""
    with float_context() if float_like else exact_context(precision):
        return +_Evaluator(values, near or {}, logs or {}).eval(expr)


class _Evaluator:
    """One evaluation: shared sub-expressions (a deep network's whole loss) are computed once."""

    def __init__(
        self,
        values: Mapping[sp.Symbol, Decimal],
        near: Mapping[sp.Symbol, Near],
        logs: Mapping[sp.Expr, Decimal],
    ):
        self.values, self.near, self.logs = values, near, logs
        self.memo: dict[sp.Basic, Decimal] = {}

    def eval(self, expr: sp.Basic) -> Decimal:
        value = self.memo.get(expr)
        if value is None:
            value = self.memo[expr] = self._eval(expr)
        return value

    def _eval(self, expr: sp.Basic) -> Decimal:
        if isinstance(expr, sp.Symbol):
            return self.values[expr]
        if isinstance(expr, sp.Rational):
            return Decimal(expr.p) / Decimal(expr.q)
        if isinstance(expr, sp.Float):
            return Decimal(str(expr))
        if isinstance(expr, sp.Add):
            return self._add(expr)
        if isinstance(expr, sp.Mul):
            return self._mul(expr)
        if isinstance(expr, sp.Pow):
            return self._pow(expr)
        if isinstance(expr, sp.Piecewise):
            for piece, condition in expr.args:
                if self.holds(condition):
                    return self.eval(piece)
            raise ValueError(f"no branch of {expr} holds")
        if isinstance(expr, sp.log) and expr.args[0] in self.logs:
            return self.logs[expr.args[0]]
        exact = getattr(type(expr), "exact", None) or _ELEMENTARY.get(type(expr))
        if exact is not None:
            return exact(*(self.eval(a) for a in expr.args))
        raise ValueError(f"cannot evaluate {expr!r}")

    def _mul(self, expr: sp.Mul) -> Decimal:
        """A product; e^a / Σe^b (a softmax output) as e^(a−m) / Σe^(b−m), m = max b, so that
        no exponential overflows however far apart the logits are."""
        exponent, total = _softmax_parts(expr)
        if exponent is not None and total is not None:
            powers = [self.eval(e.args[0]) for e in total]
            top = max(powers)
            shifted = sum(((p - top).exp() for p in powers), Decimal(0))
            return (self.eval(exponent) - top).exp() / shifted
        result = _ONE
        for a in expr.args:
            result *= self.eval(a)
        return result

    def _add(self, expr: sp.Add) -> Decimal:
        """A sum, with c·s and c·s² for a near value s = p(1 − d) written as whole numbers plus
        small parts: the whole numbers (y − 1, 1 − 1) cancel exactly before d is added."""
        if not self.near:
            return sum((self.eval(term) for term in expr.args), Decimal(0))
        whole, small = [], []
        for term in expr.args:
            coefficient, base, power = _term_parts(term)
            near = self.near.get(base)
            if near is not None and power in (1, 2):
                c = self.eval(coefficient)
                d = near.distance
                if power == 1:  # c·p·(1 − d)
                    whole.append(c * near.pole)
                    small.append(-c * near.pole * d)
                else:  # c·(1 − d)²
                    whole.append(c)
                    small.append(c * (d * d - 2 * d))
            else:
                whole.append(self.eval(term))
        return sum(whole, Decimal(0)) + sum(small, Decimal(0))

    def _pow(self, expr: sp.Pow) -> Decimal:
        base, exponent = expr.args
        if exponent == sp.Rational(1, 2):
            return self.eval(base).sqrt()
        if not exponent.is_Integer:
            raise ValueError(f"cannot evaluate the power {expr}")
        return self.eval(base) ** int(exponent)

    def holds(self, condition: sp.Basic) -> bool:
        if condition is sp.true:
            return True
        if condition is sp.false:
            return False
        if isinstance(condition, boolalg.And):
            return all(self.holds(c) for c in condition.args)
        if isinstance(condition, boolalg.Or):
            return any(self.holds(c) for c in condition.args)
        if isinstance(condition, boolalg.Not):
            return not self.holds(condition.args[0])
        if isinstance(condition, boolalg.ITE):
            test, then, otherwise = condition.args
            return self.holds(then) if self.holds(test) else self.holds(otherwise)
        relation = _RELATIONS.get(type(condition))
        if relation is None:
            raise ValueError(f"cannot evaluate the condition {condition}")
        return relation(self.eval(condition.lhs), self.eval(condition.rhs))


@functools.lru_cache(maxsize=4096)
def _term_parts(term: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """c·s^k as (c, s, k): asked of the same terms at every evaluation."""
    coefficient, core = term.as_coeff_Mul()
    base, power = core.as_base_exp()
    return coefficient, base, power


@functools.lru_cache(maxsize=65536)
def _softmax_parts(expr: sp.Mul) -> tuple[sp.Expr | None, tuple[sp.Expr, ...] | None]:
    """(a, (e^b1, e^b2, …)) of a product e^a · (e^b1 + e^b2 + …)⁻¹, else (None, None): asked
    of every product at every evaluation (a 4,096-parameter network's: a second a sample)."""
    if len(expr.args) != 2:
        return None, None
    top, bottom = sorted(expr.args, key=lambda f: isinstance(f, sp.Pow))
    if not (isinstance(top, sp.exp) and isinstance(bottom, sp.Pow) and bottom.exp == -1):
        return None, None
    total = bottom.base
    if not (isinstance(total, sp.Add) and all(isinstance(t, sp.exp) for t in total.args)):
        return None, None
    return top.args[0], total.args


def log_sum_exp(xs: Sequence[Decimal]) -> Decimal:
    """ln Σ e^x, with no exponential overflowing nor a small term lost: the largest x plus
    log1p of the others' sum relative to it."""
    top = max(xs)
    first = xs.index(top)
    rest = sum(((x - top).exp() for k, x in enumerate(xs) if k != first), Decimal(0))
    return top + log1p(rest)


def log1p(x: Decimal) -> Decimal:
    """ln(1 + x) to full precision however small x is (1 + 10⁻³⁰⁰ is not 1)."""
    lost = max(0, -x.adjusted())  # digits 1 + x needs beyond the working precision
    with localcontext() as context:
        if lost > context.prec:  # ln(1 + x) = x − x²/2 + …: the first terms are all the digits
            return +(x - x * x / 2)
        context.prec += lost
        return +(_ONE + x).ln()


def expm1(x: Decimal) -> Decimal:
    """e^x − 1 to full precision however small x is."""
    lost = max(0, -x.adjusted())
    with localcontext() as context:
        if lost > context.prec:
            return +(x + x * x / 2)
        context.prec += lost
        return +(x.exp() - _ONE)


# a value of 10^7 or more is read (and printed) as m × 10^e, so it is carried to `places`
# significant digits like a tiny one (2.70 × 10⁹, not 2701234567.123)
LARGE_EXPONENT = 7


def round_places(value: Decimal, places: int) -> Decimal:
    """Round half up as a student with a calculator does: to `places` decimals, or to `places`
    significant digits where that keeps more (a gradient of 0.00887 is not 0.009), and a large
    value to `places` significant digits, as it reads in scientific form."""
    if not value:
        return round_fixed(value, places)
    if value.adjusted() >= LARGE_EXPONENT:
        return round_fixed(value, places - value.adjusted() - 1)
    return round_fixed(value, max(places, places - value.adjusted() - 1))


MAX_UPDATE_DECIMALS = 9  # beyond `places`, to show a step; a smaller step is not shown


def update_places(step: Decimal, places: int, value: Decimal | None = None) -> int:
    """Decimals of p′ = p − η·g: those that keep the step visible (0.3 − 0.000328 = 0.3003,
    not 0.300; up to MAX_UPDATE_DECIMALS more than `places`: a step of 10⁻³⁰ is too small to
    show), and at least `places` significant digits of a small p′ (0.00712, not 0.007)."""
    wanted = max(places, -step.adjusted()) if step else places
    if wanted > places + MAX_UPDATE_DECIMALS:
        wanted = places
    if value:
        wanted = max(wanted, min(places - value.adjusted() - 1, places + MAX_UPDATE_DECIMALS))
    return wanted


# digits of a computed value that are sure: its last few carry the arithmetic's own rounding
SURE_DIGITS = PRECISION - 5


def round_fixed(value: Decimal, decimals: int) -> Decimal:
    """`value` to `decimals` places, half up, whatever its size (the context grows to fit).
    A value a hair from a half only by the arithmetic's rounding rounds as the half it is
    (softmax of four equal inputs: 0.2499…9 from 50-digit division, 0.25 → 0.3)."""
    digits = max(1, value.adjusted() + 1) + max(decimals, 0) + 2
    with localcontext(prec=max(PRECISION, digits), Emax=MAX_EMAX, Emin=MIN_EMIN):
        return settled(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def settled(value: Decimal) -> Decimal:
    """`value` to its sure digits: what rounding for display starts from."""
    with localcontext(prec=SURE_DIGITS, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP):
        return +value
