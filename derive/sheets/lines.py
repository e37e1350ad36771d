"""How a worked line is laid out: equations that wrap, products, numbers put into formulas."""

from __future__ import annotations

import re
from decimal import Decimal

from derive.engine.derivation import Derivation, Local
from derive.engine.update import Update
from derive.sheets import latex, numbers
from derive.sheets.document import Formula

LINE_WIDTH = 72  # about the characters a formula line holds on A4 (see width)
TERM_LIMIT = 6  # terms of a sum written out before it is abbreviated
ELLIPSIS = r"\cdots"

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


class Numbers:
    """Formats the shown derivation's values: given numbers as written, computed ones rounded."""

    def __init__(self, derivation: Derivation, update: Update, places: int) -> None:
        self.d, self.u, self.places = derivation, update, places
        self.given = derivation.network.given

    def tex(self, value: Decimal) -> str:
        return numbers.latex(value, self.places)

    def text_of(self, value: Decimal) -> str:
        return numbers.text(value, self.places)

    def node(self, name: str) -> str:
        if name in self.given:
            return numbers.given_latex(self.given[name])
        return self.tex(self.d.values[name])

    def text(self, name: str) -> str:
        if name in self.given:
            return numbers.given_text(self.given[name])
        return numbers.text(self.d.values[name], self.places)

    def updated_tex(self, param: str) -> str:
        step = self.u.params[param]
        return numbers.updated_latex(step.after, step.change, self.places)

    def updated_text(self, param: str) -> str:
        step = self.u.params[param]
        return numbers.updated_text(step.after, step.change, self.places)

    @staticmethod
    def factor(tex: str) -> str:
        """A number as a factor of a product: negatives in parentheses."""
        return rf"\left({tex}\right)" if tex.startswith("{-") else tex

    def substituted(self, local: Local) -> str:
        symbols = self.d.network.symbols
        return latex.formula(
            local.simplified, {symbols[n]: self.node(n) for n in local.substitution}
        )
