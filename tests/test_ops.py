"""Each activation and loss against hand-derived textbook formulas (plain floats)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
import sympy as sp

from derive.engine.losses import LOSSES
from derive.engine.operations import ACTIVATIONS, relu, sigmoid, step
from tests.conftest import run


def _single(activation: str, loss: str, x: float, w: float, b: float, y: float):
    d = run(
        layers=[1, 1],
        activation=activation,
        loss=loss,
        bias="neuron",
        inputs=[x],
        targets=[y],
        weights=[w],
        biases=[b],
    )
    return d, x * w + b


CASES = [
    # activation, loss, a(z), dC/dz as a function of (a, z, y)
    ("sigmoid", "mse", lambda z: 1 / (1 + math.exp(-z)), lambda a, z, y: 2 * (a - y) * a * (1 - a)),
    ("tanh", "half_sse", math.tanh, lambda a, z, y: (a - y) * (1 - a * a)),
    ("relu", "sse", lambda z: max(z, 0.0), lambda a, z, y: 2 * (a - y) * (1.0 if z > 0 else 0.0)),
    ("linear", "mse", lambda z: z, lambda a, z, y: 2 * (a - y)),
    ("sigmoid", "bce", lambda z: 1 / (1 + math.exp(-z)), lambda a, z, y: a - y),
    (
        "leaky_relu",
        "sse",
        lambda z: z if z > 0 else 0.01 * z,
        lambda a, z, y: 2 * (a - y) * (1.0 if z > 0 else 0.01),
    ),
    (
        "softplus",
        "mse",
        lambda z: math.log1p(math.exp(z)),
        lambda a, z, y: 2 * (a - y) / (1 + math.exp(-z)),
    ),
]


@pytest.mark.parametrize(("activation", "loss", "f", "dc_dz"), CASES)
def test_single_neuron_against_textbook(activation, loss, f, dc_dz):
    x, w, b, y = 0.8, -0.6, 0.9, 0.25
    d, z = _single(activation, loss, x, w, b, y)
    a = f(z)
    assert float(d.values["o1"]) == pytest.approx(a, rel=1e-14)
    assert float(d.gradients["w1"].value) == pytest.approx(dc_dz(a, z, y) * x, rel=1e-12)
    assert float(d.gradients["b1"].value) == pytest.approx(dc_dz(a, z, y), rel=1e-12)


def test_relu_inactive_neuron_has_zero_gradient():
    d, z = _single("relu", "mse", 0.8, -0.6, -0.2, 0.25)
    assert z < 0
    assert d.gradients["w1"].value == 0 and d.gradients["b1"].value == 0


@pytest.mark.parametrize("slope", [None, 0.2])
def test_leaky_relu_negative_side_uses_its_slope(slope):
    settings = {} if slope is None else {"negative_slope": slope}
    x, w, b, y = 0.8, -0.6, -0.2, 0.25
    d = run(
        layers=[1, 1],
        activation="leaky_relu",
        loss="sse",
        bias="neuron",
        inputs=[x],
        targets=[y],
        weights=[w],
        biases=[b],
        **settings,
    )
    alpha = 0.01 if slope is None else slope
    z = x * w + b
    assert z < 0
    assert float(d.values["o1"]) == pytest.approx(alpha * z, rel=1e-14)
    assert float(d.gradients["w1"].value) == pytest.approx(2 * (alpha * z - y) * alpha * x)
    assert d.network.spec.settings == {"negative_slope": Decimal(str(alpha))}


def test_softmax_cross_entropy_gradient_is_output_minus_target():
    x, y = [0.4, -1.2], [0.0, 1.0, 0.0]
    weights = [0.1, -0.3, 0.5, 0.7, 0.2, -0.4]  # by_source: x1→o1, x1→o2, x1→o3, x2→o1, ...
    biases = [0.05, -0.1, 0.2]
    d = run(
        layers=[2, 3],
        activation="softmax",
        loss="cross_entropy",
        bias="neuron",
        inputs=x,
        targets=y,
        weights=weights,
        biases=biases,
    )
    z = [x[0] * weights[j] + x[1] * weights[3 + j] + biases[j] for j in range(3)]
    total = sum(math.exp(v) for v in z)
    o = [math.exp(v) / total for v in z]
    assert float(d.loss) == pytest.approx(-math.log(o[1]), rel=1e-13)
    for j in range(3):
        assert float(d.gradients[f"b{j + 1}"].value) == pytest.approx(o[j] - y[j], rel=1e-12)
        for i in range(2):
            expected = x[i] * (o[j] - y[j])
            assert float(d.gradients[f"w{3 * i + j + 1}"].value) == pytest.approx(
                expected, rel=1e-12
            )
    # ∂o1/∂z2 in output form: −o1·o2
    assert str(d.locals[("o1", "z2")].simplified) == "-o1*o2"
    assert float(d.locals[("o1", "z2")].value) == pytest.approx(-o[0] * o[1], rel=1e-12)


def test_mse_and_bce_average_over_outputs():
    common = dict(layers=[1, 2], bias="none", inputs=[1.0], targets=[0.2, 0.9], weights=[0.3, -0.5])
    mse = run(activation="linear", loss="mse", **common)
    assert float(mse.locals[("C", "o2")].value) == pytest.approx(2 / 2 * (-0.5 - 0.9), rel=1e-14)
    bce = run(activation="sigmoid", loss="bce", **common)
    o1 = 1 / (1 + math.exp(-0.3))
    assert float(bce.adjoints["z1"].value) == pytest.approx((o1 - 0.2) / 2, rel=1e-12)


def test_declared_derivatives_are_sympys():
    z = sp.Symbol("z")
    declared = sp.diff(sigmoid(z), z).replace(
        lambda e: isinstance(e, sigmoid), lambda e: e.elementary()
    )
    assert sp.simplify(declared - sp.diff(sigmoid(z).elementary(), z)) == 0
    for at in (-2, 3):  # either side of the kink
        assert sp.diff(relu(z), z).elementary().subs(z, at) == sp.diff(
            relu(z).elementary(), z
        ).subs(z, at)
    assert step(z).elementary().subs(z, 0) == 0  # PyTorch's value at the kink
    zs = sp.symbols("z1:4")
    outs = sp.symbols("o1:4")
    softmax = ACTIVATIONS["softmax"]
    values = {zs[0]: 0.3, zs[1]: -0.2, zs[2]: 0.9}
    o_values = {outs[k]: softmax.apply(zs, k, {}).subs(values) for k in range(3)}
    for i in range(3):
        for j in range(3):
            by_sympy = sp.diff(softmax.apply(zs, i, {}), zs[j]).subs(values)
            declared = softmax.output_form(outs, i, j).subs(o_values)
            assert float(by_sympy) == pytest.approx(float(declared), rel=1e-12)


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("m", [1, 2, 3])
def test_printed_loss_derivatives_are_sympys(loss, m):
    outs, ys = sp.symbols(f"o1:{m + 1}"), sp.symbols(f"y1:{m + 1}")
    entry = LOSSES[loss]
    for o, y in zip(outs, ys):
        declared = entry.derivative_form(o, y, m)
        assert sp.simplify(declared - sp.diff(entry.apply(outs, ys), o)) == 0


def test_loss_derivative_prints_as_textbooks_do(seed):
    local = seed.locals[("C", "o1")]
    assert sp.latex(local.simplified, order="none") == r"- 2 \left(y_{1} - o_{1}\right)"
    assert local.substitution == {"y1": seed.values["y1"], "o1": seed.values["o1"]}
    assert seed.locals[("o1", "z3")].substitution == {"o1": seed.values["o1"]}
