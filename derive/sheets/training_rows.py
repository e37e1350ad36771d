"""How the rows of a worked optimizer step are written: each row lhs = form = numbers =
value, its = under the others' (`aligned_rows`), too wide a row going on below; each number
through a `Writer` (computed values rounded, given ones as written), each row a `Step` whose
operands get the fewest guard digits at which the printed numbers give the printed value on a
calculator. The rows themselves, per optimizer, are derive/sheets/training_lines.py's."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.exact import exact_context
from derive.sheets.lines import LINE_WIDTH, MAX_GUARD, Shown, width
from derive.text import numbers

POWER_BELOW = -3  # a given number under 10⁻³ (ε, a tiny decay) is written m × 10^e


def given_latex(value: Decimal) -> str:
    """A number the user (or torch's defaults) gave, as written; a tiny one as 10^{-8} or
    m \\times 10^{e}, not as a row of zeros."""
    if not value or value.adjusted() >= POWER_BELOW:
        return numbers.given_latex(value)
    mantissa = value.scaleb(-value.adjusted()).normalize()
    power = rf"10^{{{value.adjusted()}}}"
    return power if mantissa == 1 else rf"{numbers.given_latex(mantissa)} \times {power}"


def given_text(value: Decimal) -> str:
    """given_latex as text: 10⁻⁸, 5 × 10⁻⁹, 0.999."""
    if not value or value.adjusted() >= POWER_BELOW:
        return numbers.given_text(value)
    mantissa = value.scaleb(-value.adjusted()).normalize()
    power = "10" + str(value.adjusted()).translate(numbers.SUPERSCRIPT)
    return power if mantissa == 1 else f"{numbers.given_text(mantissa)} × {power}"


SPLIT_ROWS = 5  # a worked step of this many rows or more is set in two parts
# each left side's printed width (em, measured): the widest of a step's pads the others
LEFT_WIDTHS = (
    ("v^{max}", 2.13), ("g^{ave}", 1.81), (r"\hat m", 1.71), (r"\hat v", 1.36), ("m_", 1.27),
    (r"\tilde{v}", 1.10), (r"\tilde\eta", 1.06), ("u_", 1.03), ("g_", 0.99), ("v_", 0.97),
    (r"\theta_", 0.95), (r"\theta'", 0.86), ("s_", 0.85),
)  # fmt: skip
CONTINUED = r" \\ &= "  # a row too wide for the line goes on below, = under =


def _left_width(lhs: str) -> float:
    return next(width for start, width in LEFT_WIDTHS if lhs.startswith(start))


def aligned_rows(lines: list[str]) -> list[str]:
    """A worked step's rows as aligned formulas, = under =: one, or for a step of SPLIT_ROWS
    printed rows or more two (a page may break between them, never inside a row), each with
    a row of no height holding the step's widest left side, so that both parts' left columns
    are as wide."""
    printed = [1 + line.count(CONTINUED) for line in lines]
    if sum(printed) < SPLIT_ROWS or len(lines) < 2:
        return [_aligned(lines)]
    widest = max((line.split(" &=")[0] for line in lines), key=_left_width)
    pad = rf"\hphantom{{{widest}}} &"
    ends = [sum(printed[: k + 1]) for k in range(len(lines))]  # printed rows through line k
    half = min(next(k + 1 for k, end in enumerate(ends) if 2 * end >= ends[-1]), len(lines) - 1)
    return [_aligned([*part, pad]) for part in (lines[:half], lines[half:])]


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def _row(lhs: str, *sides: str) -> str:
    """One aligned row: lhs = side = side = …; the sides that would run past the line's
    width (lines.width's estimate) go on in rows of their own, each starting at its =."""
    rows = [[sides[0]]]
    for side in sides[1:]:
        if width(" = ".join([lhs, *rows[-1], side])) <= LINE_WIDTH:
            rows[-1].append(side)
        else:
            rows.append([side])
    return f"{lhs} &= " + CONTINUED.join(" = ".join(row) for row in rows)


class Writer:
    """How the numbers of one step read: computed values rounded to `places` and `guard` more
    digits (a row's operands get the digits that make it check on a calculator), given ones
    as written. Each number and each piece of arithmetic is a Shown: its LaTeX and the value
    its printed digits give."""

    def __init__(self, places: int, guard: int = 0) -> None:
        self.places, self.guard = places, guard

    def n(self, value: Decimal) -> Shown:
        digits = self.places + self.guard
        return Shown(numbers.latex(value, digits), numbers.shown(value, digits))

    def given(self, value: object) -> Shown:
        assert isinstance(value, Decimal)
        return Shown(given_latex(value), value)

    @staticmethod
    def f(x: Shown) -> Shown:
        """A number as a factor or a base: in brackets when negative or m × 10^e (so ^2 has
        one base); a product, power or fraction as it is."""
        return Shown(f"({x.tex})", x.value) if _NEGATIVE_OR_POWER.match(x.tex) else x

    @staticmethod
    def _with(tex: str, value: Callable[[], Decimal]) -> Shown:
        with exact_context():
            return Shown(tex, value())

    def times(self, *factors: Shown) -> Shown:
        return self._with(
            r" \times ".join(self.f(x).tex for x in factors),
            lambda: math.prod((x.value for x in factors), start=Decimal(1)),
        )

    def plus(self, left: Shown, right: Shown) -> Shown:
        """left + right, a negative right subtracted: 0.9 × 0.1 − 0.0998."""
        tex = right.tex
        if tex.startswith("{-") and tex.endswith("}") and tex.count("{") == 1:
            return self._with(f"{left.tex} - {tex[2:-1]}", lambda: left.value + right.value)
        return self._with(f"{left.tex} + {tex}", lambda: left.value + right.value)

    def minus(self, left: Shown, right: Shown) -> Shown:
        return self._with(f"{left.tex} - {self.f(right).tex}", lambda: left.value - right.value)

    def square(self, x: Shown) -> Shown:
        return self._with(f"{self.f(x).tex}^2", lambda: x.value * x.value)

    def power(self, base: Shown, t: int) -> Shown:
        return self._with(f"{base.tex}^{{{t}}}", lambda: base.value**t)

    def frac(self, top: Shown, bottom: Shown) -> Shown:
        return self._with(rf"\frac{{{top.tex}}}{{{bottom.tex}}}", lambda: top.value / bottom.value)

    def root(self, inside: Shown, eps: object) -> Shown:
        r"""√(…) + ε, with the numbers: \sqrt{0.00995} + 10^{-8}."""
        e = self.given(eps)
        return self._with(
            rf"\sqrt{{{inside.tex}}} + {e.tex}", lambda: inside.value.sqrt() + e.value
        )

    def maximum(self, a: Shown, b: Shown) -> Shown:
        return Shown(rf"\max({a.tex}, {b.tex})", max(a.value, b.value))

    def bracket(self, x: Shown) -> Shown:
        return Shown(f"({x.tex})", x.value)


_NEGATIVE_OR_POWER = re.compile(r"^(\{-[\d.]+\}|\{?-?[\d.]+ \\times 10\^\{-?\d+\}\}?)$")


@dataclass(frozen=True)
class Step:
    """One row to write: lhs = form = numbers = value, the numbers built by a writer (so that
    they can be written again with more digits)."""

    lhs: str
    form: str
    numbers: Callable[[Writer], Shown]
    value: Decimal
    printed: str | None = None  # the value as printed, if not at the sheet's digits
    printed_value: Decimal | None = None

    def row(self, places: int) -> str:
        """The row, its operands given the fewest guard digits at which the printed numbers
        give the printed value on a calculator."""
        result = self.printed or numbers.latex(self.value, places)
        target = (
            self.printed_value
            if self.printed_value is not None
            else numbers.shown(self.value, places)
        )
        for guard in range(MAX_GUARD + 1):
            shown = self.numbers(Writer(places, guard))
            if _agrees(shown.value, target):
                break
        if shown.tex == result:  # g₁ = ∂C/∂w₅ = −0.0998: the number is the value
            return _row(self.lhs, self.form, result)
        return _row(self.lhs, self.form, shown.tex, result)


def _agrees(value: Decimal, printed: Decimal) -> bool:
    try:
        return numbers.agrees(value, printed)
    except ArithmeticError:  # 1/0 of a rounded 0: more digits needed
        return False
