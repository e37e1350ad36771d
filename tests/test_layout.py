"""Numbering orders and shared biases, against PyTorch's own nn.Linear."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
import torch

from derive.solution import solve
from tests.conftest import make_spec, run

W1 = [[0.7, 0.3], [0.4, 0.6]]  # a @ W layout: W1[i][j] joins x_i to h_j (the seed's weights)
W2 = [[0.55], [0.45]]


def _torch_reference(bias_per_neuron: list[list[float]] | None):
    """PyTorch nn.Linear layers with the seed weights; returns (weight grads, bias grads)."""
    layers = [
        torch.nn.Linear(2, 2, bias=False).double(),
        torch.nn.Linear(2, 1, bias=False).double(),
    ]
    with torch.no_grad():
        for layer, w in zip(layers, (W1, W2)):
            layer.weight.copy_(torch.tensor(w, dtype=torch.float64).T)
    biases = [
        torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in bias_per_neuron or []
    ]
    a = torch.tensor([0.5, 0.3], dtype=torch.float64)
    for k, layer in enumerate(layers):
        z = layer(a) + (biases[k] if biases else 0)
        a = torch.sigmoid(z)
    loss = torch.nn.MSELoss()(a, torch.tensor([1.0], dtype=torch.float64))
    loss.backward()
    return [layer.weight.grad for layer in layers], [b.grad for b in biases]


def test_by_source_is_row_major_of_a_at_w():
    (g1, g2), _ = _torch_reference(None)
    d = run()
    expected = [*g1.T.flatten().tolist(), *g2.T.flatten().tolist()]
    assert [float(d.gradients[f"w{i + 1}"].value) for i in range(6)] == pytest.approx(
        expected, rel=1e-12
    )


def test_by_target_is_row_major_of_linear_weight():
    (g1, g2), _ = _torch_reference(None)
    weights = [0.7, 0.4, 0.3, 0.6, 0.55, 0.45]  # W1.T row-major: x1→h1, x2→h1, x1→h2, x2→h2
    d = run(numbering="by_target", weights=weights)
    assert d.network.layers[0][0].terms == (("x1", "w1"), ("x2", "w2"))
    expected = [*g1.flatten().tolist(), *g2.flatten().tolist()]
    assert [float(d.gradients[f"w{i + 1}"].value) for i in range(6)] == pytest.approx(
        expected, rel=1e-12
    )
    # same network, same loss and same gradients as the seed, just other names
    assert d.loss == run().loss


def test_shared_layer_bias_sums_its_uses():
    _, (gb1, gb2) = _torch_reference([[0.25, 0.25], [-0.1]])
    d = run(bias="layer", biases=[0.25, -0.1])
    assert d.gradients["b1"].uses == ("z1", "z2")
    assert float(d.gradients["b1"].value) == pytest.approx(float(gb1.sum()), rel=1e-12)
    assert float(d.gradients["b2"].value) == pytest.approx(float(gb2.sum()), rel=1e-12)
    per_neuron = run(bias="neuron", biases=[0.25, 0.25, -0.1])
    assert d.gradients["b1"].value == pytest.approx(
        per_neuron.gradients["b1"].value + per_neuron.gradients["b2"].value, rel=Decimal("1e-40")
    )
    assert solve(make_spec(bias="layer", biases=[0.25, -0.1])).verifications[0].checks["b1"].sympy


def test_names_follow_the_seed_conventions():
    d = run(
        layers=[3, 2, 2, 2],
        activation="tanh",
        bias="neuron",
        inputs=[0.1, 0.2, 0.3],
        targets=[0.0, 1.0],
        weights=[0.1] * 14,
        biases=[0.0] * 6,
    )
    net = d.network
    assert [(n.z, n.a) for n in net.neurons] == [
        ("z1", "h1"),
        ("z2", "h2"),
        ("z3", "h3"),
        ("z4", "h4"),
        ("z5", "o1"),
        ("z6", "o2"),
    ]
    assert net.weights[-1] == "w14" and net.biases == tuple(f"b{i}" for i in range(1, 7))
    # by_source: w7 = h1→h3, w8 = h1→h4, w9 = h2→h3
    assert net.layers[1][0].terms == (("h1", "w7"), ("h2", "w9"))


def test_hidden_weight_sums_over_every_path():
    d = run(
        layers=[2, 2, 2], targets=[1.0, 0.0], weights=[0.7, 0.3, 0.4, 0.6, 0.55, 0.45, 0.2, -0.3]
    )
    w1 = d.gradients["w1"]
    assert w1.path_count == 2
    assert w1.paths == (("C", "o1", "z3", "h1", "z1", "w1"), ("C", "o2", "z4", "h1", "z1", "w1"))
    total = sum(math.prod(float(f.value) for f in d.factors(path)) for path in w1.paths)
    assert float(w1.value) == pytest.approx(total, rel=1e-14)
