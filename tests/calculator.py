"""A pocket calculator for the tests: reads a printed formula's LaTeX and recomputes each of its
numeric segments from exactly the digits printed, as a student with a calculator would.

Its own small recursive-descent parser over the LaTeX the sheets print (numbers, + − × ·,
implicit products, fractions, powers, brackets, σ, tanh, ln, exp, e^x, ReLU, softplus, max,
√). Arithmetic is exact (fractions), so 1 − (1 − 3.2 × 10⁻⁴⁰⁰) keeps its digits as a careful
student's would; σ, exp, ln and the like are taken at 60 significant digits. Nothing of
derive's own printing or evaluation is used, so a line that does not add up on paper cannot
pass here because derive computed it the same wrong way.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

PRECISION = 60

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<command>\\operatorname\{[A-Za-z]+\}|\\[A-Za-z]+|\\[,;!: ])"
    r"|(?P<symbol>[-+()\[\]{}^_,/=&|<>!'a-zA-Z−]))"
)
_FUNCTIONS = {
    r"\sigma",
    r"\tanh",
    r"\ln",
    r"\log",
    r"\exp",
    r"\sqrt",
    r"\operatorname{ReLU}",
    r"\operatorname{softplus}",
    r"\operatorname{LeakyReLU}",
    r"\max",
}
_SKIP = {r"\left", r"\right", r"\,", r"\;", r"\!", r"\:", r"\ ", r"\displaystyle", r"\quad"}


class NotNumericError(Exception):
    """The segment holds a name (w_{5}, o_{1}): not something a calculator takes."""


@dataclass(frozen=True)
class Segment:
    text: str
    value: Fraction | None  # None: not numeric
    number: Decimal | None  # the segment is one printed number (its digits as printed)


def tokens(tex: str) -> list[str]:
    out, at = [], 0
    tex = tex.strip().replace("{-}", "-")  # a unary minus set apart for its spacing
    while at < len(tex):
        match = _TOKEN.match(tex, at)
        if match is None or match.end() == at:
            raise NotNumericError(f"cannot read {tex[at : at + 20]!r}")
        at = match.end()
        token = match.group(match.lastgroup)
        if token not in _SKIP:
            out.append("-" if token == "−" else token)
    return out


class Parser:
    """expr := term (± term)*; term := unary ((× | · | implicit) unary)*;
    unary := − unary | power; power := atom (^ group)?"""

    def __init__(self, toks: list[str]) -> None:
        self.toks, self.at = toks, 0

    def peek(self) -> str | None:
        return self.toks[self.at] if self.at < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise NotNumericError(f"expected {expected!r}, found {tok!r}")
        self.at += 1
        return tok

    def parse(self) -> Fraction:
        value = self.expr()
        if self.peek() is not None:
            raise NotNumericError(f"left over: {self.toks[self.at :]}")
        return value

    def expr(self) -> Fraction:
        value = self.term()
        while self.peek() in ("+", "-"):
            sign = self.take()
            right = self.term()
            value = value + right if sign == "+" else value - right
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while True:
            tok = self.peek()
            if tok in (r"\times", r"\cdot"):
                self.take()
                value *= self.unary()
            elif tok is not None and self._starts_atom(tok):
                value *= self.unary()
            else:
                return value

    @staticmethod
    def _starts_atom(tok: str) -> bool:
        return tok in ("(", "{", "[", "e", r"\frac") or tok in _FUNCTIONS or tok[0].isdigit()

    def unary(self) -> Fraction:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.group()
            if exponent.denominator == 1:
                return base ** int(exponent)
            return _exp(_ln(base) * exponent)
        return base

    def group(self) -> Fraction:
        """A braced group, or a single digit or number after ^ or \\frac."""
        if self.peek() == "{":
            self.take()
            value = self.expr()
            self.take("}")
            return value
        tok = self.take()
        if tok[0].isdigit():
            return Fraction(tok)
        raise NotNumericError(f"unexpected {tok!r}")

    def atom(self) -> Fraction:
        tok = self.take()
        if tok[0].isdigit():
            return Fraction(tok)
        closing = {"(": ")", "{": "}", "[": "]"}
        if tok in closing:
            value = self.expr()
            self.take(closing[tok])
            return value
        if tok == "e":
            return _exp(Fraction(1))
        if tok == r"\frac":
            top = self.group()
            return top / self.group()
        if tok in _FUNCTIONS:
            return self.function(tok)
        raise NotNumericError(f"unexpected {tok!r}")

    def function(self, name: str) -> Fraction:
        if name == r"\sqrt":
            return _via_decimal(Decimal.sqrt, self.group())
        if name == r"\max":
            self.take("(")
            values = [self.expr()]
            while self.peek() == ",":
                self.take()
                values.append(self.expr())
            self.take(")")
            return max(values)
        x = self.argument()
        functions = {
            r"\operatorname{ReLU}": lambda v: max(v, Fraction(0)),
            r"\sigma": lambda v: 1 / (1 + _exp(-v)),
            r"\tanh": lambda v: 1 - 2 / (_exp(2 * v) + 1),
            r"\ln": _ln,
            r"\log": _ln,
            r"\exp": _exp,
            r"\operatorname{softplus}": lambda v: _ln(1 + _exp(v)),
        }
        if name not in functions:
            raise NotNumericError(f"function {name} needs its slope")
        return functions[name](x)

    def argument(self) -> Fraction:
        """f(x), f{x} or f x (one atom)."""
        if self.peek() in ("(", "{", "["):
            return self.atom()
        return self.power()


def _context() -> localcontext:
    return localcontext(prec=PRECISION, Emax=10**9, Emin=-(10**9))


def _via_decimal(function, value: Fraction) -> Fraction:
    """A function a calculator evaluates to its digits, here 60 significant ones."""
    with _context():
        return Fraction(function(Decimal(value.numerator) / Decimal(value.denominator)))


def _exp(value: Fraction) -> Fraction:
    """e^x to 60 significant digits at any size (e^−800000 is a number); what is done with it
    after (1 + e^−x, 1/(…)) stays exact."""
    return _via_decimal(Decimal.exp, value)


def _ln(value: Fraction) -> Fraction:
    """ln y; near 1 by its series in y − 1, which keeps every digit of a tiny y − 1."""
    small = value - 1
    if small and abs(small) < Fraction(1, 10**12):
        term, total, k = small, Fraction(0), 1
        while abs(term) > abs(small) * Fraction(1, 10**70):
            total += term / k if k % 2 else -term / k
            term *= small
            k += 1
        return total
    return _via_decimal(Decimal.ln, value)


def evaluate(segment: str) -> Fraction:
    return Parser(tokens(segment)).parse()


_PLAIN = re.compile(r"^(-?\d+(?:\.\d+)?)(?:\\times10\^(-?\d+))?$")


def printed_number(segment: str) -> Decimal | None:
    """The number a segment is, with the digits as printed: '{-0.709}', '3.53 \\times 10^{-24}'."""
    match = _PLAIN.match(re.sub(r"[{}\s]", "", segment))
    if match is None:
        return None
    digits, exponent = match.groups()
    if not exponent:
        return Decimal(digits)
    with _context():  # 10^{-3371076}: beyond the default context's exponents
        return Decimal(digits).scaleb(int(exponent))


def _top_level_split(tex: str, separator: str) -> list[str]:
    parts, depth, start, at = [], 0, 0, 0
    while at < len(tex):
        char = tex[at]
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif depth == 0 and tex.startswith(separator, at):
            parts.append(tex[start:at])
            start = at + len(separator)
            at = start
            continue
        at += 1
    parts.append(tex[start:])
    return parts


def chains(tex: str) -> list[list[str]]:
    """The equation chains of a formula: an aligned row that starts with "&=" continues the
    row before it, any other row is an equation of its own (a worked optimizer step's
    g₁ = …, v₁ = …, θ₁ = …); `\\quad`-separated equations apart."""
    body = re.sub(r"\\(begin|end)\{aligned\}", "", tex).replace(r"\displaystyle", "")
    equations: list[str] = []
    for row in _top_level_split(body, r"\\"):
        if row.strip().startswith("&=") and equations:
            equations[-1] += " " + row.replace("&", "")
        elif "=" in row:
            equations.append(row.replace("&", ""))
    return [
        _top_level_split(part, "=")
        for equation in equations
        for part in _top_level_split(equation, r"\quad")
    ]


def segments(chain: list[str]) -> list[Segment]:
    out = []
    for text in chain:
        try:
            value = evaluate(text)
        except (NotNumericError, ArithmeticError, ValueError, ZeroDivisionError):
            value = None
        out.append(Segment(text.strip(), value, printed_number(text)))
    return out


def agrees(value: Fraction, printed: Decimal) -> bool:
    """`value` rounds (half up), at the printed number's last digit, to the printed number."""
    unit = (
        Fraction(1, 10 ** -printed.as_tuple().exponent)
        if printed.as_tuple().exponent < 0
        else Fraction(10 ** printed.as_tuple().exponent)
    )
    steps = value / unit
    rounded = math.floor(abs(steps) + Fraction(1, 2)) * (1 if steps >= 0 else -1)
    return rounded * unit == Fraction(printed)


@dataclass(frozen=True)
class Mismatch:
    formula: str
    segment: str
    value: Fraction
    printed: str

    def __str__(self) -> str:
        with _context():
            shown = Decimal(self.value.numerator) / Decimal(self.value.denominator)
        return f"{self.segment} = {shown:.10g}, printed {self.printed}   in {self.formula}"


def check(tex: str) -> tuple[int, list[Mismatch]]:
    """(numeric segments checked, those whose value does not round to the next segment)."""
    checked, wrong = 0, []
    for chain in chains(tex):
        parts = segments(chain)
        for left, right in itertools.pairwise(parts):
            if left.value is None or right.number is None or left.number is not None:
                continue
            checked += 1
            if not agrees(left.value, right.number):
                wrong.append(Mismatch(tex, left.text, left.value, right.text))
    return checked, wrong
