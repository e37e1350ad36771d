"""How a worked line is laid out: equations that wrap, products, numbers put into formulas."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.derivation import Derivation, Local
from derive.engine.exact import Near, evaluate, exact_context, round_places
from derive.engine.update import Update
from derive.sheets import latex
from derive.sheets.document import Formula
from derive.text import numbers

LINE_WIDTH = 72  # about the characters a formula line holds on A4 (see width)
TERM_LIMIT = 6  # terms of a sum written out before it is abbreviated
ELLIPSIS = r"\cdots"
MAX_GUARD = 40  # digits an operand may get beyond the sheet's
# a saturated value needing more is written by its distance from ±1: (1 − 3.20 × 10^{-19})
PLAIN_GUARD = 6

_FRACTION = re.compile(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_COMMAND = re.compile(r"\\(left|right|cdot|times|,|[a-zA-Z]+)")
_OPERATOR = re.compile(r"\\(cdot|times)\b")
_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}")


def width(tex: str) -> int:
    """Rough printed width of a formula in characters: a fraction is as wide as its wider
    part plus its margins, cases as their widest row, a product sign with its spaces about two
    characters, other commands one, braces none (calibrated on the sheets' widest lines)."""
    tex = _CASES.sub(lambda m: "x" + max(m.group(1).split(r"\\"), key=width), tex)
    while (match := _FRACTION.search(tex)) is not None:
        wider = max(match.group(1), match.group(2), key=lambda part: width(part))
        tex = tex[: match.start()] + wider + "x" + tex[match.end() :]
    tex = _OPERATOR.sub("xx", tex)
    tex = _COMMAND.sub("x", tex)
    return len(re.sub(r"[{}_^\s]", "", tex)) + tex.count(" = ") * 2


def abbreviated(terms: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """A sum of more than TERM_LIMIT terms as its first two, ⋯ and its last (each term given
    in several forms: names, numbers)."""
    if len(terms) <= TERM_LIMIT:
        return terms
    return [*terms[:2], (ELLIPSIS,) * len(terms[0]), terms[-1]]


def product(factors: list[str]) -> str:
    return " \\times ".join(factors)


def plus(terms: list[str]) -> str:
    """a + b + c, with a bare negative number subtracted (0.47 − 0.1, not 0.47 + −0.1)."""
    out = terms[0]
    for term in terms[1:]:
        negative = term.startswith("{-") and term.endswith("}") and term.count("{") == 1
        out += f" - {term[2:-1]}" if negative else f" + {term}"
    return out


def equation(*sides: str, first_row: int = 0) -> Formula:
    """a = b = c, dropping a side that repeats the one before it. A line too wide for the
    page is set as aligned rows (=-signs under each other); `first_row` keeps that many
    sides after the left-hand one on the first row."""
    kept = [sides[0]]
    for side in sides[1:]:
        if side != kept[-1]:
            kept.append(side)
    if not first_row and width(" = ".join(kept)) <= LINE_WIDTH:
        return Formula(" = ".join(kept))
    rows: list[list[str]] = [kept[1 : 1 + first_row]] if first_row else []
    for side in kept[1 + first_row :]:
        if rows and width(" = ".join([kept[0], *rows[-1], side])) <= LINE_WIDTH:
            rows[-1].append(side)
        else:
            rows.append([side])
    body = r" \\ ".join("&= " + " = ".join(row) for row in rows)
    return Formula(rf"\begin{{aligned}} {kept[0]} {body} \end{{aligned}}")


@dataclass(frozen=True)
class Shown:
    """The numeric side of a line as printed, and the value its printed digits give on a
    calculator (None: not a calculation, e.g. a sum abbreviated with ⋯)."""

    tex: str
    value: Decimal | None
    near: Near | None = None  # a saturated value's distance from ±1, as printed


def times(*factors: Shown) -> Shown:
    """a × b × …, negative numbers in parentheses."""
    tex = product([Numbers.factor(f.tex) for f in factors])
    values = [f.value for f in factors]
    if any(v is None for v in values):
        return Shown(tex, None)
    with exact_context():
        return Shown(tex, math.prod(values, start=Decimal(1)))


def total(terms: list[Shown]) -> Shown:
    """a + b + …, abbreviated after TERM_LIMIT terms (then no longer a calculation)."""
    if len(terms) > TERM_LIMIT:
        return Shown(plus([t[0] for t in abbreviated([(t.tex,) for t in terms])]), None)
    values = [t.value for t in terms]
    if any(v is None for v in values):
        return Shown(plus([t.tex for t in terms]), None)
    with exact_context():
        return Shown(plus([t.tex for t in terms]), sum(values, Decimal(0)))


@functools.lru_cache(maxsize=256)
def constant_pieces(form: sp.Expr) -> bool:
    """A derivative that is a constant on each piece of its input (a step: ReLU′)."""
    return not form.is_Number and all(form.diff(s) == 0 for s in form.free_symbols)


class Numbers:
    """Formats the shown derivation's values: given numbers as written, computed ones rounded;
    as operands of a line, with `guard` more digits than the sheet's (see `fit`)."""

    def __init__(
        self,
        derivation: Derivation,
        update: Update,
        places: int,
        guard: int = 0,
        written: bool = False,
    ) -> None:
        """`written`: the derivation holds a student's own numbers, each printed as they wrote
        it (0.646, not 0.6460) where rounding would not change it."""
        self.d, self.u, self.places, self.guard = derivation, update, places, guard
        self.written = written
        self.given = derivation.network.given

    def guarded(self, guard: int) -> Numbers:
        return Numbers(self.d, self.u, self.places, guard, self.written)

    def fit(
        self, build: Callable[[Numbers], Shown], result: Decimal, printed: Decimal | None = None
    ) -> str:
        """The numeric side `build` writes, its operands given the fewest guard digits at
        which their printed digits give the printed result on a calculator:
        −2(1.0 − 0.6457) = −0.709, not −2(1.0 − 0.646) = −0.709. Worked by hand, the
        operands are the carried (rounded) values and need none. `printed` is the result as
        printed, if not at the sheet's digits."""
        return build(self.fitted(build, result, printed)).tex

    def fitted(
        self,
        build: Callable[[Numbers], Shown],
        result: Decimal,
        printed: Decimal | None = None,
        start: int = 0,
    ) -> Numbers:
        """The Numbers, with the fewest guard digits from `start`, that `fit` writes with."""
        if self.d.places is not None:
            return self
        if printed is None:
            printed = numbers.shown(result, self.places)
        for guard in range(start, start + MAX_GUARD + 1):
            num = self.guarded(guard)
            shown = build(num)
            if shown.value is None or numbers.agrees(shown.value, printed):
                return num
        return num

    def tex(self, value: Decimal) -> str:
        """A line's result (and a value standing alone): the sheet's digits."""
        return numbers.latex(value, self.places)

    def text_of(self, value: Decimal) -> str:
        return numbers.text(value, self.places)

    def operand(self, value: Decimal) -> Shown:
        """A computed value put into a line: the sheet's digits and the guard's."""
        digits = self.places + self.guard
        if self.written and value.is_finite() and round_places(value, digits) == value:
            return Shown(numbers.given_latex(value), value)
        return Shown(numbers.latex(value, digits), numbers.shown(value, digits))

    def node(self, name: str) -> Shown:
        """A node's or parameter's value put into a line: a given one as written; a saturated
        one, once its digits would run long, by its distance from ±1."""
        if name in self.given:
            value = self.given[name]
            return Shown(numbers.given_latex(value), value)
        near = self.d.near.get(name)
        if near is not None and self.guard > PLAIN_GUARD:
            return self._near(near)
        return self.operand(self.d.values[name])

    def _near(self, near: Near) -> Shown:
        """(1 − d) or (−1 + d): a calculator given these digits keeps the distance d."""
        digits = self.places + self.guard - PLAIN_GUARD - 1
        distance = numbers.shown(near.distance, digits)
        sign, rest = ("", "-") if near.pole > 0 else ("-", "+")
        tex = rf"\left({sign}1 {rest} {numbers.latex(near.distance, digits)}\right)"
        with exact_context():
            value = near.pole * (1 - distance)
        return Shown(tex, value, Near(near.pole, distance))

    def text(self, name: str) -> str:
        if name in self.given:
            return numbers.given_text(self.given[name])
        return numbers.text(self.d.values[name], self.places)

    def updated_tex(self, param: str) -> str:
        step = self.u.params[param]
        return numbers.updated_latex(step.after, step.change, self.places)

    def updated(self, param: str) -> Decimal:
        """The new value as printed."""
        step = self.u.params[param]
        return numbers.updated(step.after, step.change, self.places)

    def updated_text(self, param: str) -> str:
        step = self.u.params[param]
        return numbers.updated_text(step.after, step.change, self.places)

    @staticmethod
    def factor(tex: str) -> str:
        """A number as a factor of a product: negatives in parentheses."""
        return rf"\left({tex}\right)" if tex.startswith("{-") else tex

    def slope(self, local: Local) -> Shown:
        """A local derivative put into a line; one constant on each piece (ReLU's 1 or 0,
        leaky ReLU's slope) is exact and reads as it is: 1, not 1.000."""
        if constant_pieces(local.simplified):
            return Shown(numbers.given_latex(local.value.normalize()), local.value)
        return self.operand(local.value)

    def put_in(self, expr: sp.Expr, names: Iterable[str], sample: int | None = None) -> Shown:
        """`expr` with the values of `names` put in: σ(0.470), 0.646(1 − 0.646)."""
        symbols = self.d.network.symbols
        shown = {symbols[n]: self.node(n) for n in names}
        tex = latex.formula(expr, {s: v.tex for s, v in shown.items()}, sample)
        near = {s: v.near for s, v in shown.items() if v.near is not None}
        try:
            value = evaluate(expr, {s: v.value for s, v in shown.items()}, near)
        except (ArithmeticError, ValueError):  # ln 0 of a rounded 1.000: more digits needed
            value = Decimal("NaN")
        return Shown(tex, value)

    def substituted(self, local: Local) -> Shown:
        return self.put_in(local.simplified, local.substitution)
