"""LaTeX for the sheets: SymPy forms with node names or with numbers put in.

The one place that turns math objects into LaTeX text; it knows nothing of HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.engine.names import node_latex

_DOUBLE = re.compile(r"\\left\(\\left\((\{-[^{}]*\})\\right\)\\right\)")
_LEADING = re.compile(r"^\\left\((\{-[^{}]*\})\\right\)")


class _Printer(LatexPrinter):
    """SymPy's printer with our names, textbook factor order, and optional numbers."""

    def __init__(self, numbers: Mapping[sp.Symbol, str], sample: int | None) -> None:
        super().__init__({"order": "none"})
        self._settings["mul_symbol_latex_numbers"] = r" \times "
        self.numbers, self.sample = numbers, sample

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr in self.numbers:
            number = self.numbers[expr]
            return rf"\left({number}\right)" if number.startswith("{-") else number
        return node_latex(expr.name, self.sample)

    def _print_exp(self, expr: sp.exp, exp: str | None = None) -> str:
        # a number in an exponent needs no brackets: e^{−0.06}, not e^{(−0.06)}
        arg = expr.args[0]
        inner = self.numbers[arg] if arg in self.numbers else self._print(arg)
        tex = f"e^{{{inner}}}"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        inner = self._print(expr.args[0])
        power = f"^{{{exp}}}" if exp else ""
        return rf"\ln{power}\left({inner}\right)"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        # a negative number that starts a sum needs no brackets: (−0.2 − 0.005), not
        # ((−0.2) − 0.005)
        return _LEADING.sub(r"\1", super()._print_Add(expr, order))

    def _print_Mul(self, expr: sp.Mul) -> str:
        # σ(z)(1 − σ(z)), o1(1 − o1), (1 − y1) ln(1 − o1): plain factors, then parenthesised
        # sums, then logarithms
        coefficient, factors = expr.as_coeff_mul()
        ordered = sorted(factors, key=_factor_rank)
        fraction = any(f.is_Pow and f.exp.is_negative for f in ordered)
        if coefficient.q != 1 and len(ordered) == 1 and isinstance(ordered[0], sp.Add):
            # ½(…), −½(y/o − (1 − y)/(1 − o)): the factor before its bracket, not a fraction
            # over a fraction
            sign = "-" if coefficient < 0 else ""
            half = rf"\frac{{{abs(coefficient.p)}}}{{{coefficient.q}}}"
            return rf"{sign}{half} \left({self._print(ordered[0])}\right)"
        if not self.numbers or fraction or coefficient.q != 1:
            if coefficient != 1:
                ordered.insert(0, coefficient)
            if len(ordered) == 1:
                return self._print(ordered[0])
            tex = super()._print_Mul(sp.Mul(*ordered, evaluate=False))
            # SymPy writes −(a + b) with brackets that do not grow around fractions
            if tex.startswith("- (") and tex.endswith(")"):
                return rf"- \left({tex[3:-1]}\right)"
            return tex
        # with numbers in: 0.5 × 0.7, −2(1 − 0.646), 0.646(1 − 0.646)
        out = {1: "", -1: "-"}.get(int(coefficient), self._print(coefficient))
        for factor in ordered:
            tex = self._print(factor)
            if isinstance(factor, sp.Add):
                out += rf"\left({tex}\right)"
            else:
                out += rf" \times {tex}" if out and out != "-" else tex
        return out


def _factor_rank(factor: sp.Expr) -> int:
    if isinstance(factor, sp.log):
        return 2
    return 1 if isinstance(factor, sp.Add) else 0


def formula(
    expr: sp.Expr, numbers: Mapping[sp.Symbol, str] | None = None, sample: int | None = None
) -> str:
    """LaTeX of a SymPy expression; `numbers` puts formatted numbers in place of symbols;
    `sample` marks the nodes of one of several samples (h_{1}^{(2)})."""
    numbers = numbers or {}
    if isinstance(expr, sp.Symbol) and expr in numbers:
        return numbers[expr]
    tex = _Printer(numbers, sample).doprint(expr)
    # a negative number as a function's argument needs no parentheses of its own: σ(−0.53)
    tex = _DOUBLE.sub(r"\\left(\1\\right)", tex)
    # a leading minus is unary: {-} keeps it from getting binary spacing after "="
    return "{-}" + tex.removeprefix("- ").removeprefix("-") if tex.startswith("-") else tex
