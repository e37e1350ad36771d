"""The seed lecture notes' examples, against published and independently computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import load_spec
from derive.engine.training import descend
from derive.solution import solve

# DESIGN.md section 2: the seed's section-2 example computed exactly (float64).
SEED_VALUES = {
    "z1": 0.47,
    "h1": 0.6153838,
    "z2": 0.33,
    "h2": 0.5817594,
    "z3": 0.6002528,
    "o1": 0.6457141,
}


def test_seed_forward_values(seed):
    for name, expected in SEED_VALUES.items():
        assert float(seed.values[name]) == pytest.approx(expected, abs=5e-8), name
    assert float(seed.loss) == pytest.approx(0.1255185, abs=5e-8)


def test_seed_chain_for_w5(seed):
    assert float(seed.locals[("C", "o1")].value) == pytest.approx(-0.7085717, abs=5e-8)
    assert float(seed.locals[("o1", "z3")].value) == pytest.approx(0.2287674, abs=5e-8)
    assert float(seed.locals[("z3", "w5")].value) == pytest.approx(0.6153838, abs=5e-8)
    w5 = seed.gradients["w5"]
    assert w5.paths == (("C", "o1", "z3", "w5"),)
    product = math.prod(float(f.value) for f in seed.factors(w5.paths[0]))
    assert float(w5.value) == pytest.approx(product, rel=1e-15)
    assert float(w5.value) == pytest.approx(-0.0997525, abs=5e-8)
    assert float(descend(Batch((seed,))).params["w5"].after) == pytest.approx(0.5599753, abs=5e-8)


def test_seed_linear_parts_are_exact(seed):
    assert str(seed.values["z1"]) == "0.47"
    assert str(seed.values["z2"]) == "0.33"


def test_seed_generic_forms(seed):
    local = seed.locals[("o1", "z3")]
    assert str(local.generic) == "(1 - sigmoid(z3))*sigmoid(z3)"
    assert str(local.simplified) == "o1*(1 - o1)"
    assert str(seed.locals[("z3", "w5")].generic) == "h1"
    assert str(seed.locals[("z3", "h1")].generic) == "w5"


def test_builtin_default_is_the_seed_example_file():
    builtin, file = load_spec(None), load_spec("examples/seed.toml")
    assert builtin.layers == file.layers and builtin.weights == file.weights
    assert builtin.name == "seed"


def _seed_section3_numpy():
    """The seed notes' own NumPy manual backpropagation (section 3), verbatim in substance."""

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def d_sigmoid(x):
        return sigmoid(x) * (1 - sigmoid(x))

    x = np.array([1.0, 0.5])
    y_true = np.array([1.0])
    w1 = np.array([[0.1, 0.2], [0.3, 0.4]])
    b1 = np.array([0.1, 0.2])
    w2 = np.array([[0.5], [0.6]])
    b2 = np.array([0.3])
    z1 = np.dot(x, w1) + b1
    a1 = sigmoid(z1)
    z2 = np.dot(a1, w2) + b2
    a2 = sigmoid(z2)
    loss = 0.5 * np.sum((a2 - y_true) ** 2)
    d_loss_z2 = (a2 - y_true) * d_sigmoid(z2)
    d_loss_w2 = np.outer(a1, d_loss_z2)
    d_loss_z1 = np.dot(w2, d_loss_z2) * d_sigmoid(z1)
    d_loss_w1 = np.outer(x, d_loss_z1)
    return loss, d_loss_w1, d_loss_w2, d_loss_z1, d_loss_z2


def test_seed_section3_matches_its_numpy_manual_gradients():
    d = derive(build_network(load_spec("examples/seed_section3.toml")))
    loss, dw1, dw2, db1, db2 = _seed_section3_numpy()
    assert float(d.loss) == pytest.approx(loss, rel=1e-14)
    grads = {p: float(g.value) for p, g in d.gradients.items()}
    # by_source numbering is the row-major order of W in a @ W
    flat = [*dw1.ravel(), *dw2.ravel()]
    for i, expected in enumerate(flat):
        assert grads[f"w{i + 1}"] == pytest.approx(expected, rel=1e-12)
    for i, expected in enumerate([*db1, *db2]):
        assert grads[f"b{i + 1}"] == pytest.approx(expected, rel=1e-12)


def test_seed_examples_verify_four_ways():
    for path in ("examples/seed.toml", "examples/seed_section3.toml"):
        solution = solve(load_spec(path))
        for check in solution.verifications[0].checks.values():
            assert check.sympy is not None
            assert check.largest_disagreement < 1e-9
