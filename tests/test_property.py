"""Random architectures, activations, losses, bias modes and values: chain rule = autograd."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from derive.engine.derivation import derive
from derive.engine.network import build_network
from derive.engine.spec import bias_count, parse_spec, weight_count
from derive.verify.torch_model import TorchNetwork

HIDDEN = ["sigmoid", "tanh", "relu", "linear"]
value = st.integers(-200, 200).map(lambda k: Decimal(k) / 100)
unit = st.integers(0, 100).map(lambda k: Decimal(k) / 100)


@st.composite
def specs(draw):
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    loss = draw(st.sampled_from(["mse", "half_sse", "sse", "bce", "cross_entropy"]))
    n_out = draw(st.integers(2 if loss == "cross_entropy" else 1, 4))
    layers = [draw(st.integers(1, 4)), *hidden, n_out]
    out = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss) or draw(
        st.sampled_from([*HIDDEN, *(["softmax"] if n_out > 1 else [])])
    )
    activations = [draw(st.sampled_from(HIDDEN)) for _ in hidden] + [out]
    bias = draw(st.sampled_from(["none", "neuron", "layer"]))
    numbering = draw(st.sampled_from(["by_source", "by_target"]))
    if loss == "cross_entropy":
        targets = [Decimal(0)] * n_out
        targets[draw(st.integers(0, n_out - 1))] = Decimal(1)
    else:
        targets = draw(st.lists(unit if loss == "bce" else value, min_size=n_out, max_size=n_out))
    doc = {
        "network": {
            "layers": layers,
            "activation": activations,
            "loss": loss,
            "bias": bias,
            "numbering": numbering,
        },
        "values": {
            "inputs": draw(st.lists(value, min_size=layers[0], max_size=layers[0])),
            "targets": targets,
            "weights": draw(
                st.lists(value, min_size=(n := weight_count(tuple(layers))), max_size=n)
            ),
            "biases": draw(
                st.lists(value, min_size=(m := bias_count(tuple(layers), bias)), max_size=m)
            ),
            "learning_rate": Decimal("0.5"),
        },
    }
    return parse_spec(doc, "<hypothesis>", "random")


@settings(max_examples=120, deadline=None)
@given(specs())
def test_chain_rule_equals_torch_autograd_float64(spec):
    derivation = derive(build_network(spec))
    model = TorchNetwork(derivation.network)
    _, autograd = model.autograd()
    _, kinks = model.finite_differences(1e-5)
    for k, param in enumerate(derivation.network.params):
        if kinks[k]:  # a ReLU at z ≈ 0: one-sided derivatives differ (test_verify covers it)
            continue
        ours, theirs = float(derivation.gradients[param].value), float(autograd[k])
        assert abs(ours - theirs) <= 1e-9 * max(abs(ours), abs(theirs)) + 1e-12, param
        g = derivation.gradients[param]
        assert g.updated == derivation.values[param] - spec.learning_rate * g.value
