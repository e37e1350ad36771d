"""The table of operations: every activation and loss, declared once.

An entry says what the operation is as SymPy (so SymPy derives its local derivatives), the
derivative in terms of the node's own output where that is the form a sheet prints, and its
names in every language. The chain-rule walk and the renderers only read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp


class sigmoid(sp.Function):  # noqa: N801 - SymPy functions are lower-case by convention
    """σ(z) = 1/(1+e^(−z)); SymPy differentiates it to σ(z)(1−σ(z)), the textbook form."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


class step(sp.Function):  # noqa: N801
    """ReLU's derivative: 1 for z > 0, else 0 (PyTorch's value at the kink z = 0)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)

    def _eval_rewrite_as_Piecewise(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Piecewise((1, z > 0), (0, True))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\mathbb{{1}}\left[{printer._print(self.args[0])} > 0\right]"


class relu(sp.Function):  # noqa: N801
    """ReLU(z) = max(0, z)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return step(self.args[0])

    def _eval_rewrite_as_Piecewise(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.Piecewise((z, z > 0), (0, True))

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)"


ApplyFn = Callable[[Sequence[sp.Symbol], int], sp.Expr]
OutputFormFn = Callable[[Sequence[sp.Symbol], int, int], sp.Expr]


@dataclass(frozen=True)
class Activation:
    """a_i = f(z) for one layer; `apply(zs, i)` is neuron i's activation over the layer's z."""

    name: str
    names: dict[str, str]
    apply: ApplyFn
    definition: str  # the printed definition, LaTeX
    elementwise: bool = True
    output_only: bool = False
    # ∂a_i/∂z_j written with the layer's outputs, for operations where replacing f(z) by a in
    # SymPy's derivative does not give the printed form (softmax).
    output_form: OutputFormFn | None = None


def _softmax(zs: Sequence[sp.Symbol], i: int) -> sp.Expr:
    return sp.exp(zs[i]) / sp.Add(*(sp.exp(z) for z in zs))


def _softmax_output_form(outs: Sequence[sp.Symbol], i: int, j: int) -> sp.Expr:
    return outs[i] * (1 - outs[i]) if i == j else -outs[i] * outs[j]


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            {"en": "sigmoid", "ko": "시그모이드"},
            lambda zs, i: sigmoid(zs[i]),
            r"\sigma(z) = \frac{1}{1 + e^{-z}}",
        ),
        Activation(
            "tanh",
            {"en": "hyperbolic tangent", "ko": "하이퍼볼릭 탄젠트"},
            lambda zs, i: sp.tanh(zs[i]),
            r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
        ),
        Activation(
            "relu",
            {"en": "ReLU", "ko": "ReLU"},
            lambda zs, i: relu(zs[i]),
            r"\operatorname{ReLU}(z) = \max(0, z)",
        ),
        Activation(
            "linear",
            {"en": "linear (identity)", "ko": "선형(항등) 함수"},
            lambda zs, i: zs[i],
            r"f(z) = z",
        ),
        Activation(
            "softmax",
            {"en": "softmax", "ko": "소프트맥스"},
            _softmax,
            r"o_{i} = \frac{e^{z_{i}}}{\sum_{k} e^{z_{k}}}",
            elementwise=False,
            output_only=True,
            output_form=_softmax_output_form,
        ),
    )
}


LossFn = Callable[[Sequence[sp.Symbol], Sequence[sp.Symbol]], sp.Expr]
LossFormFn = Callable[[sp.Symbol, sp.Symbol, int], sp.Expr]


@dataclass(frozen=True)
class Loss:
    """C over the outputs o and targets y; `needs` names the output activation it requires.

    `apply` builds C unevaluated, so it prints as written (¼·Σ stays a factor in front);
    `derivative_form(o_i, y_i, m)` is ∂C/∂o_i as textbooks print it (−2(y1 − o1), not SymPy's
    2·o1 − 2·y1). Tests hold both equal to SymPy's own algebra.
    """

    name: str
    names: dict[str, str]
    formula: str  # the printed definition, LaTeX
    apply: LossFn
    derivative_form: LossFormFn
    needs: str | None = None


def _unevaluated(coefficient: sp.Expr, expr: sp.Expr) -> sp.Expr:
    return expr if coefficient == 1 else sp.Mul(coefficient, expr, evaluate=False)


SQUARES = r"\sum_{i=1}^{m} (y_{i} - o_{i})^{2}"


def _squared_loss(
    name: str, names: dict[str, str], front: str, scale: Callable[[int], sp.Rational]
) -> Loss:
    """scale(m)·Σ(y − o)²; its derivative −2·scale(m)·(y − o)."""

    def apply(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
        squares = sp.Add(*((y - o) ** 2 for o, y in zip(outs, ys, strict=True)))
        return _unevaluated(scale(len(outs)), squares)

    def form(o: sp.Symbol, y: sp.Symbol, m: int) -> sp.Expr:
        return _unevaluated(-2 * scale(m), sp.Add(y, -o, evaluate=False))

    return Loss(name, names, f"C = {front}{SQUARES}", apply, form)


def _bce(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
    terms = (y * sp.log(o) + (1 - y) * sp.log(1 - o) for o, y in zip(outs, ys, strict=True))
    return _unevaluated(-sp.Rational(1, len(outs)), sp.Add(*terms))


def _bce_form(o: sp.Symbol, y: sp.Symbol, m: int) -> sp.Expr:
    inner = sp.Add(y / o, sp.Mul(-1, (1 - y) / (1 - o), evaluate=False), evaluate=False)
    return _unevaluated(-sp.Rational(1, m), inner)


def _cross_entropy(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
    return -sp.Add(*(y * sp.log(o) for o, y in zip(outs, ys, strict=True)))


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        _squared_loss(
            "mse",
            {"en": "mean squared error", "ko": "평균제곱오차(MSE)"},
            r"\frac{1}{m}",
            lambda m: sp.Rational(1, m),
        ),
        _squared_loss(
            "half_sse",
            {"en": "half the sum of squared errors", "ko": "오차제곱합의 절반"},
            r"\frac{1}{2}",
            lambda m: sp.Rational(1, 2),
        ),
        _squared_loss(
            "sse",
            {"en": "sum of squared errors", "ko": "오차제곱합(SSE)"},
            "",
            lambda m: sp.Integer(1),
        ),
        Loss(
            "bce",
            {"en": "binary cross-entropy", "ko": "이진 교차 엔트로피"},
            r"C = -\frac{1}{m}\sum_{i=1}^{m} \left[y_{i} \ln o_{i}"
            r" + (1 - y_{i}) \ln(1 - o_{i})\right]",
            _bce,
            _bce_form,
            "sigmoid",
        ),
        Loss(
            "cross_entropy",
            {"en": "cross-entropy", "ko": "교차 엔트로피"},
            r"C = -\sum_{i=1}^{m} y_{i} \ln o_{i}",
            _cross_entropy,
            lambda o, y, m: -y / o,
            "softmax",
        ),
    )
}
