"""Names of the numbers in a worked solution, parsed and printed in this one place.

Nodes and parameters are short names: x1, z3, h1, o1, y1, w5, b2, C. A quantity is a node's
value (z1), a partial derivative (dC/dw5 the gradient, dC/dz3 the error signal δ3, do1/dz3 a
local derivative) or an updated parameter (w5'). Students write them with ∂, primes and
spaces; the checker, the sheets and the JSON all go through `Name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOSS = "C"
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_NODE = re.compile(r"([A-Za-z]+)(\d*)")
_PARTIAL = re.compile(r"d([A-Za-z]+\d*)/d([A-Za-z]+\d*)")
_DELTA = re.compile(r"(?:δ|delta)(\d+)")
_SPELLINGS = str.maketrans({"∂": "d", "′": "'", "’": "'"})


def split(node: str) -> tuple[str, str]:
    """'w12' → ('w', '12'); 'C' → ('C', '')."""
    match = _NODE.fullmatch(node)
    if match is None:
        raise ValueError(f"not a node name: {node!r}")
    return match.group(1), match.group(2)


def node_latex(node: str) -> str:
    """'w5' → 'w_{5}', 'C' → 'C'."""
    letters, digits = split(node)
    return f"{letters}_{{{digits}}}" if digits else letters


def node_label(node: str) -> str:
    """'w12' → 'w₁₂', for text outside formulas."""
    letters, digits = split(node)
    return letters + digits.translate(SUBSCRIPT)


def delta_latex(z: str) -> str:
    """The error signal of pre-activation z3, δ3 = ∂C/∂z3, as LaTeX: '\\delta_{3}'."""
    return rf"\delta_{{{split(z)[1]}}}"


def partial_latex(of: str, wrt: str) -> str:
    """∂of/∂wrt as a fraction."""
    return rf"\frac{{\partial {node_latex(of)}}}{{\partial {node_latex(wrt)}}}"


@dataclass(frozen=True)
class Name:
    """One quantity: `of` alone is its value; with `wrt` the partial ∂of/∂wrt; `updated`
    is the parameter after the update (w5')."""

    of: str
    wrt: str | None = None
    updated: bool = False

    @classmethod
    def parse(cls, text: str) -> Name:
        """'∂C / ∂w5', 'dC/dw5', "w5′", 'δ3' (= dC/dz3), 'z1'; ValueError if none of these."""
        compact = re.sub(r"\s+", "", text).translate(_SPELLINGS)
        if (match := _PARTIAL.fullmatch(compact)) is not None:
            return cls(match.group(1), match.group(2))
        if (match := _DELTA.fullmatch(compact)) is not None:
            return cls(LOSS, f"z{match.group(1)}")
        updated = compact.endswith("'")
        node = compact.removesuffix("'")
        if _NODE.fullmatch(node) is None:
            raise ValueError(f"not a quantity name: {text!r}")
        return cls(node, None, updated)

    def __str__(self) -> str:
        if self.wrt is not None:
            return f"d{self.of}/d{self.wrt}"
        return f"{self.of}'" if self.updated else self.of

    @property
    def latex(self) -> str:
        if self.wrt is not None:
            return partial_latex(self.of, self.wrt)
        return node_latex(self.of) + ("'" if self.updated else "")

    @property
    def label(self) -> str:
        """For text outside formulas: '∂C/∂w₅', 'w₅′'."""
        if self.wrt is not None:
            return f"∂{node_label(self.of)}/∂{node_label(self.wrt)}"
        return node_label(self.of) + ("′" if self.updated else "")
