"""Names of the numbers in a worked solution, parsed and printed in this one place.

Nodes and parameters are short names: x1, z3, h1, o1, y1, w5, b2, C. A quantity is a node's
value (z1), a partial derivative (dC/dw5 the gradient, dC/dz3 the error signal δ3, do1/dz3 a
local derivative) or an updated parameter (w5'). Students write them with ∂, primes and
spaces; the checker, the sheets and the JSON all go through `Name`.

With several samples, sample n's nodes carry a superscript, x1^(n), h1^(n), C^(n), and so do
its partials: dC^(n)/dw5 is sample n's gradient, dC/dw5 the batch's (their mean). Weights and
biases are shared by the samples and carry none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOSS = "C"
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
SHARED = ("w", "b")  # parameters: one value for every sample
_NODE = re.compile(r"([A-Za-z]+)(\d*)")
_SAMPLE = r"(?:\^?\((\d+)\))?"  # ^(2), (2), or written as a superscript ⁽²⁾
_ONE = re.compile(rf"([A-Za-z]+\d*){_SAMPLE}")
_PARTIAL = re.compile(rf"d([A-Za-z]+\d*){_SAMPLE}/d([A-Za-z]+\d*){_SAMPLE}")
_DELTA = re.compile(rf"(?:δ|delta)(\d+){_SAMPLE}")
_SPELLINGS = str.maketrans({"∂": "d", "′": "'", "’": "'"} | {"⁽": "(", "⁾": ")"})
_SPELLINGS.update(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))


def split(node: str) -> tuple[str, str]:
    """'w12' → ('w', '12'); 'C' → ('C', '')."""
    match = _NODE.fullmatch(node)
    if match is None:
        raise ValueError(f"not a node name: {node!r}")
    return match.group(1), match.group(2)


def of_sample(node: str, sample: int | None) -> int | None:
    """The sample a node's value belongs to: none for a weight or bias (shared)."""
    return None if split(node)[0] in SHARED else sample


def node_latex(node: str, sample: int | None = None) -> str:
    """'w5' → 'w_{5}', 'C' → 'C'; of sample 2: 'h1' → 'h_{1}^{(2)}'."""
    letters, digits = split(node)
    tex = f"{letters}_{{{digits}}}" if digits else letters
    sample = of_sample(node, sample)
    return tex if sample is None else f"{tex}^{{({sample})}}"


def node_label(node: str, sample: int | None = None) -> str:
    """'w12' → 'w₁₂', for text outside formulas; of sample 2: 'h1' → 'h₁⁽²⁾'."""
    letters, digits = split(node)
    sample = of_sample(node, sample)
    mark = "" if sample is None else f"({sample})".translate(SUPERSCRIPT)
    return letters + digits.translate(SUBSCRIPT) + mark


def delta_latex(z: str, sample: int | None = None) -> str:
    """The error signal of pre-activation z3, δ3 = ∂C/∂z3, as LaTeX: '\\delta_{3}'."""
    mark = "" if sample is None else f"^{{({sample})}}"
    return rf"\delta_{{{split(z)[1]}}}{mark}"


def partial_latex(of: str, wrt: str, sample: int | None = None) -> str:
    """∂of/∂wrt as a fraction."""
    return (
        rf"\frac{{\partial {node_latex(of, sample)}}}"
        rf"{{\partial {node_latex(wrt, sample)}}}"
    )


def _one_sample(nodes: tuple[str, ...], marks: tuple[str | None, ...]) -> int | None:
    """The sample a written name is of: the one its superscripts give (all alike); none
    for a name of weights and biases alone (w5^(2) is w5)."""
    given = {int(m) for m in marks if m is not None}
    if len(given) > 1:
        raise ValueError("two samples in one name")
    if not given or all(split(node)[0] in SHARED for node in nodes):
        return None
    return given.pop()


@dataclass(frozen=True)
class Name:
    """One quantity: `of` alone is its value; with `wrt` the partial ∂of/∂wrt; `updated`
    is the parameter after the update (w5')."""

    of: str
    wrt: str | None = None
    updated: bool = False
    sample: int | None = None  # several samples: the sample (from 1) it belongs to

    @classmethod
    def parse(cls, text: str) -> Name:
        """'∂C / ∂w5', 'dC/dw5', "w5′", 'δ3' (= dC/dz3), 'z1', and of a sample 'h1^(2)',
        'dC^(2)/dw5', 'δ3⁽²⁾' (a superscript on either node of a partial says the sample);
        ValueError if none of these."""
        compact = re.sub(r"\s+", "", text).translate(_SPELLINGS)
        if (match := _PARTIAL.fullmatch(compact)) is not None:
            of, of_mark, wrt, wrt_mark = match.groups()
            return cls(of, wrt, sample=_one_sample((of, wrt), (of_mark, wrt_mark)))
        if (match := _DELTA.fullmatch(compact)) is not None:
            z = f"z{match.group(1)}"
            return cls(LOSS, z, sample=_one_sample((z,), (match.group(2),)))
        updated = compact.endswith("'")
        match = _ONE.fullmatch(compact.removesuffix("'"))
        if match is None or (updated and match.group(2)):
            raise ValueError(f"not a quantity name: {text!r}")
        node = match.group(1)
        return cls(node, None, updated, _one_sample((node,), (match.group(2),)))

    def __str__(self) -> str:
        def node(name: str) -> str:
            sample = of_sample(name, self.sample)
            return name if sample is None else f"{name}^({sample})"

        if self.wrt is not None:
            return f"d{node(self.of)}/d{node(self.wrt)}"
        return f"{self.of}'" if self.updated else node(self.of)

    @property
    def latex(self) -> str:
        if self.wrt is not None:
            return partial_latex(self.of, self.wrt, self.sample)
        return node_latex(self.of, self.sample) + ("'" if self.updated else "")

    @property
    def label(self) -> str:
        """For text outside formulas: '∂C/∂w₅', 'w₅′', '∂C⁽²⁾/∂w₅'."""
        if self.wrt is not None:
            of, wrt = (node_label(n, self.sample) for n in (self.of, self.wrt))
            return f"∂{of}/∂{wrt}"
        return node_label(self.of, self.sample) + ("′" if self.updated else "")
