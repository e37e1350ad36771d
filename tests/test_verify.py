"""The four-way check: it passes on real networks, fails loudly on a wrong number, knows kinks."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.errors import VerificationError
from derive.verify.verification import SYMPY_LIMIT, verify
from tests.conftest import make_spec, run


def test_a_wrong_gradient_stops_the_run(seed):
    w3 = seed.gradients["w3"]
    slipped = dataclasses.replace(w3, value=w3.value * Decimal("1.000001"))
    broken = dataclasses.replace(seed, gradients={**seed.gradients, "w3": slipped})
    with pytest.raises(VerificationError, match="w3: chain rule gives"):
        verify(broken)


def test_a_wrong_forward_value_stops_the_run(seed):
    broken = dataclasses.replace(seed, values={**seed.values, "h2": seed.values["h2"] + 1})
    with pytest.raises(VerificationError, match="forward values differ"):
        verify(broken)


def test_relu_kink_inside_the_step_is_reported_not_failed():
    # z1 = 1·0.5 + 1·(−0.5) = 0 exactly: ReLU sits on its kink
    d = run(
        layers=[2, 1, 1],
        activation=["relu", "linear"],
        inputs=[1.0, 1.0],
        targets=[1.0],
        weights=[0.5, -0.5, 2.0],
    )
    v = verify(d)
    assert v.checks["w1"].kink and v.checks["w2"].kink
    assert not v.checks["w3"].kink
    assert v.checks["w1"].chain_rule == 0.0 == v.checks["w1"].autograd
    assert v.checks["w1"].finite_difference != 0.0  # half the slope: why it is not failed


def test_sympy_is_skipped_for_large_networks_and_says_why():
    layers = [4, 8, 4]
    count = 4 * 8 + 8 * 4
    assert count > SYMPY_LIMIT
    spec = make_spec(
        layers=layers,
        inputs=[0.1] * 4,
        targets=[0.5] * 4,
        weights=[round(0.01 * k - 0.3, 2) for k in range(count)],
    )
    v = verify(derive(build_network(spec)))
    assert f"{count} parameters" in v.sympy_skipped
    assert all(c.sympy is None for c in v.checks.values())


def test_rounded_carry_recomputes_every_line_from_shown_digits():
    d = derive(build_network(make_spec()), places=3)
    v = {k: float(x) for k, x in d.values.items()}
    assert v["z3"] == 0.6  # 0.615·0.55 + 0.582·0.45 = 0.60015
    assert v["o1"] == 0.646 and v["C"] == 0.125  # (1 − 0.646)² = 0.125316
    assert float(d.locals[("C", "o1")].value) == -0.708  # 2·0.646 − 2
    assert float(d.locals[("o1", "z3")].value) == 0.229  # 0.646·0.354 = 0.228684
    assert float(d.adjoints["z3"].value) == -0.162  # −0.708·0.229 = −0.162132
    assert float(d.gradients["w5"].value) == -0.0996  # −0.162·0.615 = −0.09963: 3 significant
    assert float(d.gradients["w5"].updated) == 0.56  # 0.55 − 0.1·(−0.0996) = 0.55996
    with pytest.raises(ValueError):
        verify(d)


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
    v = verify(d)
    assert v.checks["w1"].kink and v.checks["b1"].kink
    assert v.checks["w1"].chain_rule == 0.0 == v.checks["w1"].sympy
