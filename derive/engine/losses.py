"""The table of losses: every loss, declared once (as engine/operations.py declares the
activations).

An entry says everything derive needs of a loss: its SymPy form over the outputs and targets
(so SymPy derives ∂C/∂o, in the textbook form where one is declared), the output activation it
needs, its PyTorch function (the independent check: from the logits where PyTorch's loss takes
them), its printed forms and its names in every language. Adding a loss is adding one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sympy as sp

LossFn = Callable[[Sequence[sp.Symbol], Sequence[sp.Symbol]], sp.Expr]
LossFormFn = Callable[[sp.Symbol, sp.Symbol, int], sp.Expr]


@dataclass(frozen=True)
class Loss:
    """C over the outputs o and targets y; `needs` names the output activation it requires.

    `apply` builds C unevaluated, so it prints as written (¼·Σ stays a factor in front);
    `derivative_form(o_i, y_i, m)` is ∂C/∂o_i as textbooks print it (−2(y1 − o1), not SymPy's
    2·o1 − 2·y1). Tests hold both equal to SymPy's own algebra. `torch(torch, o, z, y)` is
    PyTorch's own loss per row, from the logits z where PyTorch has that stable route.
    """

    name: str
    names: Mapping[str, str]
    formula: str  # the printed definition, LaTeX
    apply: LossFn
    derivative_form: LossFormFn
    torch: Callable[[Any, Any, Any, Any], Any]
    needs: str | None = None
    # δ = ∂C/∂z at an output as textbooks shortcut it for the activation this loss needs
    delta_shortcut: Callable[[sp.Symbol, sp.Symbol, int], sp.Expr] | None = None
    torch_from_logits: bool = False  # PyTorch's loss takes the logits z, not the outputs
    target_range: tuple[Decimal, Decimal] | None = None
    targets_sum_to_one: bool = False


def _unevaluated(coefficient: sp.Expr, expr: sp.Expr) -> sp.Expr:
    return expr if coefficient == 1 else sp.Mul(coefficient, expr, evaluate=False)


SQUARES = r"\sum_{i=1}^{m} (y_{i} - o_{i})^{2}"


def _squared_loss(
    name: str,
    names: dict[str, str],
    front: str,
    scale: Callable[[int], sp.Rational],
    torch: Callable[[Any, Any, Any, Any], Any],
) -> Loss:
    """scale(m)·Σ(y − o)²; its derivative −2·scale(m)·(y − o)."""

    def apply(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
        squares = sp.Add(*((y - o) ** 2 for o, y in zip(outs, ys, strict=True)))
        return _unevaluated(scale(len(outs)), squares)

    def form(o: sp.Symbol, y: sp.Symbol, m: int) -> sp.Expr:
        difference = sp.Add(y, -o, evaluate=False)
        if name == "mse" and m > 1:  # −(2/m)(y − o): the 2/m stays visible, even as 2/2
            two_over_m = sp.Mul(-2, sp.Pow(sp.Integer(m), -1, evaluate=False), evaluate=False)
            return sp.Mul(two_over_m, difference, evaluate=False)
        return _unevaluated(-2 * scale(m), difference)

    return Loss(name, names, f"C = {front}{SQUARES}", apply, form, torch)


def _bce(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
    # output by output, as written by hand: y₁ ln o₁ + (1 − y₁) ln(1 − o₁) + y₂ ln o₂ + …
    pairs = zip(outs, ys, strict=True)
    terms = [t for o, y in pairs for t in (y * sp.log(o), (1 - y) * sp.log(1 - o))]
    return _unevaluated(-sp.Rational(1, len(outs)), sp.Add(*terms, evaluate=False))


def _bce_form(o: sp.Symbol, y: sp.Symbol, m: int) -> sp.Expr:
    inner = sp.Add(y / o, sp.Mul(-1, (1 - y) / (1 - o), evaluate=False), evaluate=False)
    return _unevaluated(-sp.Rational(1, m), inner)


def _cross_entropy(outs: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]) -> sp.Expr:
    # −(y₁ ln o₁ + y₂ ln o₂ + …): no "−0 × ln(0.395)" once the numbers are in
    terms = (y * sp.log(o) for o, y in zip(outs, ys, strict=True))
    return _unevaluated(sp.Integer(-1), sp.Add(*terms, evaluate=False))


UNIT = (Decimal(0), Decimal(1))

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        _squared_loss(
            "mse",
            {"en": "mean squared error", "ko": "평균제곱오차(MSE)"},
            r"\frac{1}{m}",
            lambda m: sp.Rational(1, m),
            lambda torch, o, z, y: torch.nn.functional.mse_loss(o, y, reduction="none").mean(-1),
        ),
        _squared_loss(
            "half_sse",
            {"en": "half the sum of squared errors", "ko": "오차제곱합의 절반"},
            r"\frac{1}{2}",
            lambda m: sp.Rational(1, 2),
            lambda torch, o, z, y: 0.5 * ((y - o) ** 2).sum(-1),
        ),
        _squared_loss(
            "sse",
            {"en": "sum of squared errors", "ko": "오차제곱합(SSE)"},
            "",
            lambda m: sp.Integer(1),
            lambda torch, o, z, y: ((y - o) ** 2).sum(-1),
        ),
        Loss(
            "bce",
            {"en": "binary cross-entropy", "ko": "이진 교차 엔트로피"},
            r"C = -\frac{1}{m}\sum_{i=1}^{m} \left[y_{i} \ln o_{i}"
            r" + (1 - y_{i}) \ln(1 - o_{i})\right]",
            _bce,
            _bce_form,
            # from the logits: BCELoss on probabilities clamps ln at −100 and loses digits
            # where the sigmoid saturates
            lambda torch, o, z, y: torch.nn.functional.binary_cross_entropy_with_logits(
                z, y, reduction="none"
            ).mean(-1),
            needs="sigmoid",
            delta_shortcut=lambda o, y, m: _unevaluated(sp.Rational(1, m), o - y),
            torch_from_logits=True,
            target_range=UNIT,
        ),
        Loss(
            "cross_entropy",
            {"en": "cross-entropy", "ko": "교차 엔트로피"},
            r"C = -\sum_{i=1}^{m} y_{i} \ln o_{i}",
            _cross_entropy,
            lambda o, y, m: -y / o,
            lambda torch, o, z, y: torch.nn.functional.cross_entropy(z, y, reduction="none"),
            needs="softmax",
            delta_shortcut=lambda o, y, m: o - y,
            torch_from_logits=True,
            target_range=UNIT,
            targets_sum_to_one=True,
        ),
    )
}
