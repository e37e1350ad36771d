"""The four-way check: it passes on real networks however steep or saturated, fails loudly on a
wrong number, knows kinks, and bounds SymPy's share."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from decimal import Decimal

import pytest

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.training import descend
from derive.errors import VerificationError
from derive.sheets.context import Context
from derive.sheets.summary import verification
from derive.solution import solve
from derive.verify.sympy_check import BUDGET
from derive.verify.verification import verify_sample
from tests.conftest import make_spec, run


def _verify(derivation):
    return verify_sample(derivation, descend(Batch((derivation,))))


def test_a_wrong_gradient_stops_the_run(seed):
    w3 = seed.gradients["w3"]
    slipped = dataclasses.replace(w3, value=w3.value * Decimal("1.000001"))
    broken = dataclasses.replace(seed, gradients={**seed.gradients, "w3": slipped})
    with pytest.raises(VerificationError, match="w3: chain rule gives"):
        _verify(broken)


def test_a_wrong_forward_value_stops_the_run(seed):
    broken = dataclasses.replace(seed, values={**seed.values, "h2": seed.values["h2"] + 1})
    with pytest.raises(VerificationError, match="h2 is"):
        _verify(broken)


def test_a_wrong_update_stops_the_run(seed):
    update = descend(Batch((seed,)))
    step = update.params["w5"]
    wrong = dataclasses.replace(step, after=step.before + step.change)  # the seed notes' "+"
    broken = dataclasses.replace(update, params={**update.params, "w5": wrong})
    with pytest.raises(VerificationError, match=r"w5': derive gives .* torch\.optim\.SGD"):
        verify_sample(seed, broken)


def test_relu_kink_inside_the_step_is_reported_not_failed():
    # z1 = 1·0.5 + 1·(−0.5) = 0 exactly: ReLU sits on its kink
    d = run(
        layers=[2, 1, 1],
        activation=["relu", "linear"],
        inputs=[1.0, 1.0],
        targets=[1.0],
        weights=[0.5, -0.5, 2.0],
    )
    v = _verify(d)
    assert v.checks["w1"].kink and v.checks["w2"].kink
    assert not v.checks["w3"].kink
    assert v.checks["w1"].chain_rule == 0.0 == v.checks["w1"].autograd
    assert v.checks["w1"].finite_difference != 0.0  # half the slope: why it is not failed


def test_sympy_is_skipped_over_its_budget_and_says_why():
    layers = [8, 8, 8]
    count = 8 * 8 + 8 * 8
    spec = make_spec(
        layers=layers,
        inputs=[0.1] * 8,
        targets=[0.5] * 8,
        weights=[round(0.01 * k - 0.3, 2) for k in range(count)],
    )
    v = _verify(derive(build_network(spec)))
    assert v.sympy_parts * count > BUDGET
    assert f"{count} parameters" in v.sympy_skipped and f"{BUDGET:,}" in v.sympy_skipped
    assert all(c.sympy is None for c in v.checks.values())
    # the sheet says three ways, and why not the fourth, and has no column of "skipped"
    derivation = derive(build_network(spec))
    section = verification(Context(derivation, descend(Batch((derivation,))), 3, "en", "some"), v)
    intro, table = section.blocks[:2]
    text = "".join(part for _, part in intro.parts)
    assert text.startswith("Every gradient was computed three independent ways")
    # a handout speaks to students: why in plain words, no program internals
    assert "too long to differentiate" in text and "expression parts" not in text
    assert table.header == ("parameter", "chain rule", "autograd", "finite diff.", "largest gap")


def test_sympy_checks_stacked_relus():
    # nested Piecewise conditions (ITE, And) used to be a traceback
    d = run(
        layers=[2, 2, 2, 1],
        activation=["relu", "relu", "linear"],
        inputs=[0.5, -0.3],
        weights=[0.7, -0.3, 0.4, 0.6, 0.55, 0.45, -0.2, 0.9, 0.3, 0.8],
    )
    v = _verify(d)
    assert v.sympy_skipped is None
    for param, check in v.checks.items():
        assert check.sympy == pytest.approx(check.chain_rule, rel=1e-12, abs=1e-300), param


def test_rounded_carry_recomputes_every_line_from_shown_digits():
    d = derive(build_network(make_spec()), places=3)
    v = {k: float(x) for k, x in d.values.items()}
    assert v["z3"] == 0.6  # 0.615·0.55 + 0.582·0.45 = 0.60015
    assert v["o1"] == 0.646 and v["C"] == 0.125  # (1 − 0.646)² = 0.125316
    assert float(d.locals[("C", "o1")].value) == -0.708  # 2·0.646 − 2
    assert float(d.locals[("o1", "z3")].value) == 0.229  # 0.646·0.354 = 0.228684
    assert float(d.adjoints["z3"].value) == -0.162  # −0.708·0.229 = −0.162132
    assert float(d.gradients["w5"].value) == -0.0996  # −0.162·0.615 = −0.09963: 3 significant
    assert float(descend(Batch((d,))).params["w5"].after) == 0.56  # 0.55 − 0.1·(−0.0996) = 0.55996
    with pytest.raises(ValueError):
        _verify(d)


def test_float_rounding_across_a_relu_kink_is_not_a_failure():
    # z1 = −0.43·1.98 + 0.8514 is exactly 0 in decimals but not in float64, so PyTorch's ReLU
    # may take the other side; found by the property test
    d = run(
        layers=[1, 1, 1],
        activation=["relu", "sigmoid"],
        loss="bce",
        bias="neuron",
        inputs=[-0.43],
        targets=[0.0],
        weights=[1.98, 0.7],
        biases=[0.8514, 0.1],
    )
    assert d.values["z1"] == 0
    v = _verify(d)
    assert v.checks["w1"].kink and v.checks["b1"].kink
    assert v.checks["w1"].chain_rule == 0.0
    # SymPy's derivative of max(0, z) is Heaviside(z): no value at the kink, and none is shown
    assert v.checks["w1"].sympy is None and "w1" in v.sympy_unevaluable


def test_a_weight_whose_input_sits_at_a_kink_is_not_a_false_failure():
    # z3 = −1·0.3 + 0.5·0.2 + 0.2 is exactly 0, so h3 = ReLU(z3) = 0 and ∂C/∂w11 = δ·h3 = 0;
    # float64 makes z3 about 10⁻¹⁷, so autograd gives 10⁻¹⁷ for w11, and torch.optim's own
    # step moves the weights into z3 (another one-sided slope); found by a batch sheet
    d = run(
        layers=[2, 3, 2],
        activation=["relu", "linear"],
        bias="neuron",
        inputs=[-1, 0.5],
        targets=[1, 0],
        weights=[0.1, -0.2, 0.3, 0.4, -0.5, 0.2, 0.3, -0.1, 0.2, -0.4, 0.5, 0.1],
        biases=[0.1, -0.1, 0.2, 0.05, -0.05],
        learning_rate=0.1,
    )
    assert d.values["z3"] == 0 and d.gradients["w11"].value == 0
    v = _verify(d)
    assert v.checks["w11"].chain_rule == 0.0 and abs(v.checks["w11"].autograd) < 1e-16
    assert v.checks["w3"].kink and not v.checks["w11"].kink


def test_steep_loss_is_not_a_false_failure():
    # the loss varies a thousand times faster in w1 than a fixed finite-difference step assumes
    d = run(layers=[1, 1], inputs=[1000], targets=[0.2], weights=[0.001])
    check = _verify(d).checks["w1"]
    assert check.finite_difference == pytest.approx(check.chain_rule, rel=1e-6)
    assert check.finite_difference_step < 1e-5


@pytest.mark.parametrize("weight", [120, 2000, -150])
def test_bce_with_a_saturated_logit_solves_exactly(weight):
    # logit ±120 and more: 1 − σ(z) is below 50 digits, ln σ(z) must not be formed from it
    d = run(layers=[1, 1], loss="bce", inputs=[1], targets=[0.25], weights=[weight])
    z = weight
    softplus = lambda t: max(t, 0) + math.log1p(math.exp(-abs(t)))  # noqa: E731
    assert float(d.loss) == pytest.approx(0.25 * softplus(-z) + 0.75 * softplus(z), rel=1e-14)
    sigma = 1 / (1 + math.exp(-z)) if z < 0 else 1 - math.exp(-z) / (1 + math.exp(-z))
    assert float(d.gradients["w1"].value) == pytest.approx(sigma - 0.25, rel=1e-14)
    v = _verify(d)
    assert v.checks["w1"].autograd == pytest.approx(sigma - 0.25, rel=1e-12)


def test_saturated_sigmoids_with_bce_show_vanishing_gradients():
    # a teacher's example: every weight 6 or more, the hidden units saturate
    d = run(
        layers=[2, 2, 1],
        loss="bce",
        inputs=[1, 1],
        targets=[0],
        weights=[6, 7, 8, 9, 10, 11],
    )
    v = _verify(d)
    assert 0 < abs(d.gradients["w1"].value) < Decimal("1e-5")
    assert v.checks["w5"].autograd == pytest.approx(float(d.gradients["w5"].value), rel=1e-9)


def test_saturated_mse_unit_beyond_float64():
    # σ′(40) ≈ 4·10⁻¹⁸: float64 rounds 1 − σ(40) to 0, the exact gradient does not
    d = run(layers=[1, 1], inputs=[1], targets=[0.5], weights=[40])
    assert float(d.locals[("o1", "z1")].value) == pytest.approx(math.exp(-40), rel=1e-12)
    v = _verify(d)
    assert v.checks["w1"].autograd == 0.0  # what float64 gives: explained, not a failure
    assert v.checks["w1"].autograd_tolerance >= abs(float(d.gradients["w1"].value))


def test_new_activations_agree_with_torch():
    for activation, settings in (("leaky_relu", {"negative_slope": 0.2}), ("softplus", {})):
        d = run(
            layers=[2, 2, 1],
            activation=[activation, "linear"],
            bias="neuron",
            inputs=[0.5, -1.5],
            weights=[0.7, -0.3, 0.4, 0.6, 0.55, 0.45],
            biases=[0.1, 0.2, 0.3],
            **settings,
        )
        v = _verify(d)
        assert any(d.values[z] < 0 for z in ("z1", "z2")), activation  # the other branch too
        for param, check in v.checks.items():
            assert check.autograd == pytest.approx(check.chain_rule, rel=1e-12), param


def test_softplus_far_out_keeps_its_digits():
    # torch's own F.softplus turns linear above z = 20; derive's check uses logaddexp
    solution = solve(make_spec(layers=[1, 1], activation="softplus", inputs=[1], weights=[25]))
    assert float(solution.derivation.values["o1"]) == pytest.approx(25 + math.exp(-25), rel=1e-15)


def test_sympys_form_that_cancels_beyond_its_digits_is_not_compared():
    # found by benchmarks/fuzz.py: a saturated softmax writes 1 − o as e^514-sized terms that
    # cancel to 10⁻⁵⁶⁰; SymPy's form gave a stable-looking 8.9e-562 for a gradient the chain
    # rule (and a 1500-digit reference) puts at 1.1711168081657603893914e-560
    d = run(
        layers=[6, 3, 2],
        activation=["relu", "softmax"],
        loss="sse",
        bias="layer",
        numbering="by_target",
        inputs=[-92.2986, 1.45, 8.17, -428.48656, 0.07973, -425.5760],
        targets=[0.0929, -0.125033],
        weights=[
            *[-0.03, -0.011513, 0.03, -0.2, -0.1, -2.47, -1.76, 0.117, -0.05014, -3.495],
            *[1.4, -0.853594, 0.625146, 4.4, 1.8, 0.1, -3.224061, 0.5, 0.012710, -0.39],
            *[-0.02001, 0.367, 0.0477, -0.1],
        ],
        biases=[0.179, 0.035],
        learning_rate=0.000001,
    )
    assert str(d.gradients["w2"].value).startswith("1.1711168081657603893914")
    v = _verify(d)
    assert "w2" in v.sympy_unevaluable and v.checks["w2"].sympy is None


@pytest.mark.parametrize(
    ("activation", "bias", "loss"),
    [
        (["relu", "tanh", "softmax"], "layer", "cross_entropy"),
        (["leaky_relu", "sigmoid", "sigmoid"], "neuron", "bce_per_output"),
        (["softplus", "relu", "linear"], "none", "mse"),
    ],
)
def test_moved_losses_are_the_whole_networks_losses(activation, bias, loss):
    """Finite differences move one parameter per row from its own layer on: each row's loss
    and kink crossing equal those of the whole network run at θ + δ·e_p (a shared bias moves
    every neuron of its layer)."""
    import torch

    from derive.verify.torch_model import TorchNetwork

    rng = random.Random(7)
    layers = [3, 4, 3, 2]
    weights = sum(a * b for a, b in itertools.pairwise(layers))
    biases = {"none": 0, "layer": 3, "neuron": 9}[bias]
    spec = make_spec(
        layers=layers,
        activation=activation,
        loss="bce" if loss == "bce_per_output" else loss,
        bias=bias,
        inputs=[0.5, -0.2, 0.0],
        targets=[0.3, 0.7] if loss != "cross_entropy" else [1.0, 0.0],
        weights=[round(rng.uniform(-1, 1), 2) for _ in range(weights)],
        biases=[round(rng.uniform(-1, 1), 2) for _ in range(biases)],
    )
    model = TorchNetwork(build_network(spec))
    size = len(model.theta)
    params = torch.arange(size).repeat_interleave(3)
    deltas = torch.tensor([1e-3, -0.4, 2.0] * size, dtype=torch.float64)
    loss_moved, crossed = model.moved_losses(params, deltas)
    rows = model.theta.repeat(len(params), 1)
    rows[torch.arange(len(params)), params] += deltas
    whole = model.forward(rows)
    base = model.forward(model.theta.unsqueeze(0))
    assert torch.allclose(loss_moved, whole.loss, rtol=1e-12, atol=1e-15)
    kinked = [l for l, a in enumerate(activation) if a in ("relu", "leaky_relu")]
    signs = torch.cat([whole.pre[l] > 0 for l in kinked], -1)
    expected = (signs != torch.cat([base.pre[l] > 0 for l in kinked], -1)).any(-1)
    assert torch.equal(crossed, expected) and crossed.any() and not crossed.all()
