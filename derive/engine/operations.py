"""The table of operations: every activation declared once (the losses: engine/losses.py).

An entry says everything derive needs of an operation: its SymPy form (so SymPy derives the
local derivatives, in the textbook form where one is declared), its exact evaluation over
decimals, its PyTorch function (the independent check), its printed forms and its names in
every language. The chain-rule walk, the verifier and the sheets only read this table: adding an
activation is adding one entry here, a loss one entry in engine/losses.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sympy as sp

from derive.engine.exact import Near, expm1, log1p, log_sum_exp

Settings = Mapping[str, Decimal]  # an activation's settings from the spec, e.g. negative_slope
_ONE = Decimal(1)


def math_function(
    name: str,
    latex: Callable[[str], str],
    exact: Callable[..., Decimal],
    derivative: Callable[..., sp.Expr],
    elementary: Callable[..., sp.Expr],
    nargs: int = 1,
) -> type[sp.Function]:
    """A SymPy function that knows its exact value over decimals, its derivative in the form a
    textbook prints (σ(z)(1 − σ(z))), how it prints (`latex(printed z, *settings)`), and its
    form in elementary functions (exp, max) for the independent whole-loss check. Arguments
    after the first are settings (a slope): constants to the chain rule."""

    def fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
        return derivative(self.func, *self.args) if argindex == 1 else sp.Integer(0)

    def print_latex(self: sp.Function, printer: Any, exp: str | None = None) -> str:
        tex = latex(printer._print(self.args[0]), *self.args[1:])
        return rf"{{{tex}}}^{{{exp}}}" if exp else tex

    return type(
        name,
        (sp.Function,),
        {
            "nargs": nargs,
            "fdiff": fdiff,
            "_latex": print_latex,
            "exact": staticmethod(exact),
            "elementary": lambda self: elementary(*self.args),
            "__module__": __name__,
        },
    )


def _cases(positive: str, otherwise: str, z: str) -> str:
    """A kinked unit's derivative as textbooks write it: "1,  z > 0" over "0,  z ≤ 0" (no
    words, so it reads the same in every language; the comma and the space keep a value
    from reading as a factor of its condition)."""
    return (
        rf"\begin{{cases}} {positive}, & \quad {z} > 0 \\ "
        rf"{otherwise}, & \quad {z} \le 0 \end{{cases}}"
    )


def _sigmoid(z: Decimal) -> Decimal:
    # through e^(−|z|): never overflows, and 1 − σ(z) is never formed
    e = (-abs(z)).exp()
    return _ONE / (_ONE + e) if z >= 0 else e / (_ONE + e)


def _tanh(z: Decimal) -> Decimal:
    # through e^(−2|z|) − 1: tanh(10⁻³⁰) keeps its digits, tanh(1000) never overflows
    m = expm1(-2 * abs(z))
    return -m / (2 + m) * (1 if z >= 0 else -1)


def _softplus(z: Decimal) -> Decimal:
    # softplus(−700) = ln(1 + e^−700) ≈ 10⁻³⁰⁴, not ln(1) = 0
    return max(z, Decimal(0)) + log1p((-abs(z)).exp())


sigmoid = math_function(
    "sigmoid",
    lambda z: rf"\sigma\left({z}\right)",
    _sigmoid,
    lambda f, z: f(z) * (1 - f(z)),
    lambda z: 1 / (1 + sp.exp(-z)),
)
tanh = math_function(
    "tanh",
    lambda z: rf"\tanh\left({z}\right)",
    _tanh,
    lambda f, z: 1 - f(z) ** 2,
    lambda z: 2 / (1 + sp.exp(-2 * z)) - 1,  # z once: a deep network's whole loss stays small
)
step = math_function(  # ReLU's derivative; 0 at the kink, as PyTorch
    "step",
    lambda z: _cases("1", "0", z),
    lambda z: _ONE if z > 0 else Decimal(0),
    lambda f, z: sp.Integer(0),
    lambda z: sp.Piecewise((1, z > 0), (0, True)),
)
relu = math_function(
    "relu",
    lambda z: rf"\operatorname{{ReLU}}\left({z}\right)",
    lambda z: max(z, Decimal(0)),
    lambda f, z: step(z),
    lambda z: sp.Max(0, z),  # SymPy differentiates it to Heaviside(z): undefined at the kink
)
leaky_step = math_function(  # leaky ReLU's derivative; the slope at the kink, as PyTorch
    "leaky_step",
    lambda z, slope: _cases("1", f"{Decimal(slope.p) / Decimal(slope.q):f}", z),
    lambda z, slope: _ONE if z > 0 else slope,
    lambda f, z, slope: sp.Integer(0),
    lambda z, slope: sp.Piecewise((1, z > 0), (slope, True)),
    nargs=2,
)
leaky_relu = math_function(
    "leaky_relu",
    lambda z, slope: rf"\operatorname{{LeakyReLU}}\left({z}\right)",
    lambda z, slope: z if z > 0 else slope * z,
    lambda f, z, slope: leaky_step(z, slope),
    lambda z, slope: slope * z + (1 - slope) * sp.Max(0, z),
    nargs=2,
)
softplus = math_function(
    "softplus",
    lambda z: rf"\operatorname{{softplus}}\left({z}\right)",
    _softplus,
    lambda f, z: sigmoid(z),
    lambda z: sp.log(1 + sp.exp(z)),
)


ApplyFn = Callable[[Sequence[sp.Symbol], int, Settings], sp.Expr]
TorchFn = Callable[..., Any]  # (torch module, z tensor (B, n), **settings as floats) → a
NearFn = Callable[[Sequence[Decimal], Sequence[Decimal], int], Near | None]
LogsFn = Callable[[Sequence[Decimal], int], tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class Activation:
    """a_i = f(z) for one layer; `apply(zs, i, settings)` is neuron i's activation over the
    layer's z. `near` says where an output sits close to ±1 (its distance computed from z), so
    that exact arithmetic never forms 1 − σ(z) for a saturated unit; `logs` gives ln a and
    ln(1 − a) from z, as PyTorch's losses take them from the logits (ln σ(−10²⁰) is −10²⁰,
    though σ(−10²⁰) itself is too small for any number)."""

    name: str
    names: Mapping[str, str]
    apply: ApplyFn
    torch: TorchFn
    definition: str  # the printed definition, LaTeX; {setting} fields are filled in
    near: NearFn | None = None
    logs: LogsFn | None = None
    elementwise: bool = True
    output_only: bool = False
    kink: bool = False  # not differentiable at z = 0: finite differences across it are excused
    settings: Mapping[str, Decimal] = field(default_factory=dict)  # name → default
    # ∂a_i/∂z_j written with the layer's outputs, where replacing f(z) by a in SymPy's
    # derivative does not give the printed form (softmax)
    output_form: Callable[[Sequence[sp.Symbol], int, int], sp.Expr] | None = None

    @property
    def saturates(self) -> bool:
        """Whether its output flattens against a bound (sigmoid, tanh, softmax: those that
        say where an output sits near it), so that a unit far out learns nothing."""
        return self.near is not None

    def define(self, settings: Settings) -> str:
        """The printed definition with this spec's settings (a slope) put in."""
        tex = self.definition
        for key, value in settings.items():
            tex = tex.replace(f"{{{key}}}", f"{value:f}")
        return tex


def _elementwise(function: type[sp.Function], *setting_names: str) -> ApplyFn:
    def apply(zs: Sequence[sp.Symbol], i: int, settings: Settings) -> sp.Expr:
        return function(zs[i], *(sp.Rational(str(settings[s])) for s in setting_names))

    return apply


def _near_sigmoid(zs: Sequence[Decimal], outs: Sequence[Decimal], i: int) -> Near | None:
    return Near(1, _sigmoid(-zs[i])) if zs[i] > 0 else None


def _near_tanh(zs: Sequence[Decimal], outs: Sequence[Decimal], i: int) -> Near | None:
    z = zs[i]
    if not z:
        return None
    e = (-2 * abs(z)).exp()
    return Near(1 if z > 0 else -1, 2 * e / (_ONE + e))


def _near_softmax(zs: Sequence[Decimal], outs: Sequence[Decimal], i: int) -> Near | None:
    # 1 − o_i is the sum of the other outputs: positive terms, nothing cancels
    others = sum((o for k, o in enumerate(outs) if k != i), Decimal(0))
    return Near(1, others) if outs[i] > others else None


def _sigmoid_logs(zs: Sequence[Decimal], i: int) -> tuple[Decimal, Decimal]:
    # ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z)
    return -_softplus(-zs[i]), -_softplus(zs[i])


def _softmax_logs(zs: Sequence[Decimal], i: int) -> tuple[Decimal, Decimal]:
    # ln o_i = z_i − ln Σe^z. ln(1 − o_i): for the largest output, the log of the others'
    # share (nothing cancels); for any other (o_i ≤ ½), log1p(−o_i)
    total = log_sum_exp(zs)
    log_o = zs[i] - total
    if zs[i] < max(zs):
        return log_o, log1p(-log_o.exp())
    others = [z for k, z in enumerate(zs) if k != i]
    return log_o, log_sum_exp(others) - total


def _softmax(zs: Sequence[sp.Symbol], i: int, settings: Settings) -> sp.Expr:
    return sp.exp(zs[i]) / sp.Add(*(sp.exp(z) for z in zs))


def _softmax_output_form(outs: Sequence[sp.Symbol], i: int, j: int) -> sp.Expr:
    return outs[i] * (1 - outs[i]) if i == j else -outs[i] * outs[j]


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            {"en": "sigmoid", "ko": "시그모이드"},
            _elementwise(sigmoid),
            lambda torch, z: torch.sigmoid(z),
            r"\sigma(z) = \frac{1}{1 + e^{-z}}",
            near=_near_sigmoid,
            logs=_sigmoid_logs,
        ),
        Activation(
            "tanh",
            {"en": "hyperbolic tangent", "ko": "하이퍼볼릭 탄젠트"},
            _elementwise(tanh),
            lambda torch, z: torch.tanh(z),
            r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
            near=_near_tanh,
        ),
        Activation(
            "relu",
            {"en": "ReLU", "ko": "ReLU"},
            _elementwise(relu),
            lambda torch, z: torch.relu(z),
            r"\operatorname{ReLU}(z) = \max(0, z)",
            kink=True,
        ),
        Activation(
            "leaky_relu",
            {"en": "leaky ReLU", "ko": "Leaky ReLU"},
            _elementwise(leaky_relu, "negative_slope"),
            lambda torch, z, negative_slope: torch.nn.functional.leaky_relu(z, negative_slope),
            r"\operatorname{LeakyReLU}(z) = \max(\alpha z, z),\ \alpha = {negative_slope}",
            kink=True,
            settings={"negative_slope": Decimal("0.01")},
        ),
        Activation(
            "softplus",
            {"en": "softplus", "ko": "소프트플러스"},
            _elementwise(softplus),
            # log(e^z + e^0): exact at any z (F.softplus turns linear above z = 20)
            lambda torch, z: torch.logaddexp(z, torch.zeros_like(z)),
            r"\operatorname{softplus}(z) = \ln\left(1 + e^{z}\right)",
        ),
        Activation(
            "linear",
            {"en": "linear (identity)", "ko": "선형(항등) 함수"},
            lambda zs, i, settings: zs[i],
            lambda torch, z: z,
            r"f(z) = z",
        ),
        Activation(
            "softmax",
            {"en": "softmax", "ko": "소프트맥스"},
            _softmax,
            lambda torch, z: torch.softmax(z, dim=-1),
            r"o_{i} = \frac{e^{z_{i}}}{\sum_{k} e^{z_{k}}}",
            near=_near_softmax,
            logs=_softmax_logs,
            elementwise=False,
            output_only=True,
            output_form=_softmax_output_form,
        ),
    )
}
