"""Random valid specs over the whole input space: every one solves, verifies and builds a sheet.

The draw includes what broke derive before: ReLU stacks, saturated units (|z| up to ~40 and
beyond), steep losses (inputs up to ±1000), tiny and huge learning rates, 1–6 decimals, every
activation, loss, bias mode and numbering. Derandomized: the same examples on every machine,
so CI is deterministic (benchmarks/fuzz.py draws hundreds more against an independent
reference).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.engine.exact import exact_context
from derive.engine.quantities import batch_quantities, batch_values, compute_all
from derive.engine.spec import Spec, bias_count, parse_spec, weight_count
from derive.report import to_json, to_text
from derive.sheet import Sheet
from derive.solution import solve

# slow (hundreds of drawn networks): make test-fast leaves it out
pytestmark = pytest.mark.slow

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear"]
KINKED = ["relu", "leaky_relu"]
RATES = ["0.000001", "0.001", "0.1", "0.5", "1", "10"]
DETERMINISTIC = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def _number(draw: st.DrawFn, size: Decimal, places: int, low: Decimal | None = None) -> Decimal:
    """A decimal with `places` decimals in [low, size] (low defaults to −size)."""
    unit = Decimal(1).scaleb(-places)
    bottom = -size if low is None else low
    steps = draw(st.integers(int(bottom / unit), int(size / unit)))
    return steps * unit


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    loss = draw(st.sampled_from(["mse", "half_sse", "sse", "bce", "cross_entropy"]))
    n_out = draw(st.integers(2 if loss == "cross_entropy" else 1, 4))
    layers = [draw(st.integers(1, 4)), *hidden, n_out]
    kinds = KINKED if draw(st.booleans()) else HIDDEN  # ReLU stacks half the time
    activations = [draw(st.sampled_from(kinds)) for _ in hidden]
    out = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss) or draw(
        st.sampled_from([*HIDDEN, *(["softmax"] if n_out > 1 else [])])
    )
    bias = draw(st.sampled_from(["none", "neuron", "layer"]))
    places = draw(st.integers(1, 6))
    size = draw(st.sampled_from([Decimal("0.05"), Decimal(1), Decimal(5)]))
    # steep losses: inputs up to ±1000; saturated units: weights up to ±40
    x_size = draw(st.sampled_from([Decimal(1), Decimal(5), Decimal(1000)]))
    w_size = draw(st.sampled_from([size, size, Decimal(40)]))
    if loss == "cross_entropy":
        targets = [Decimal(0)] * n_out
        targets[draw(st.integers(0, n_out - 1))] = Decimal(1)
    else:
        low = Decimal(0) if loss == "bce" else None
        top = Decimal(1) if loss == "bce" else size
        targets = [_number(draw, top, places, low) for _ in range(n_out)]
    network = {
        "layers": layers,
        "activation": [*activations, out],
        "loss": loss,
        "bias": bias,
        "numbering": draw(st.sampled_from(["by_source", "by_target"])),
    }
    if "leaky_relu" in activations and draw(st.booleans()):
        network["negative_slope"] = _number(draw, Decimal("0.5"), 2, Decimal(0))
    values = {
        "inputs": [_number(draw, x_size, places) for _ in range(layers[0])],
        "targets": targets,
        "weights": [_number(draw, w_size, places) for _ in range(weight_count(tuple(layers)))],
        "biases": [_number(draw, size, places) for _ in range(bias_count(tuple(layers), bias))],
        "learning_rate": Decimal(draw(st.sampled_from(RATES))),
    }
    return parse_spec({"network": network, "values": values}, "<hypothesis>", "random")


@settings(max_examples=60, **DETERMINISTIC)
@given(specs())
def test_every_valid_spec_solves_and_verifies(spec):
    solution = solve(spec)  # raises if any check disagrees beyond what rounding explains
    with exact_context():
        for param, step in solution.update.params.items():
            gradient = solution.derivation.gradients[param].value
            assert step.after == step.before - spec.learning_rate * gradient, param
    json.dumps(to_json(solution), allow_nan=False)
    assert "agree" in to_text(solution)


@settings(max_examples=6, **DETERMINISTIC)
@given(specs(), st.sampled_from(["en", "ko"]), st.sampled_from(["exact", "rounded"]))
def test_every_valid_spec_builds_a_sheet(spec, lang, carry):
    sheet = Sheet(spec, lang, precision=3, carry=carry)
    html = sheet.html
    assert html.count("<section id=") == 6
    assert "NaN" not in html and "Infinity" not in html


def with_samples(spec: Spec, numbers: list[int]) -> Spec:
    """The spec with one to five more samples: inputs varied, the targets kept valid."""
    n_in = spec.layers[0]
    count = len(numbers)
    inputs = [
        tuple(Decimal(numbers[(i + j) % count]) / 10 for j in range(n_in))
        for i in range(1 + count % 5)
    ]
    samples = ((spec.inputs, spec.targets), *((x, spec.targets) for x in inputs))
    return dataclasses.replace(spec, samples=samples)


@settings(max_examples=12, **DETERMINISTIC)
@given(specs(), st.lists(st.integers(-20, 20), min_size=1, max_size=12))
def test_every_valid_batch_solves_and_its_quantities_recompute(spec, numbers):
    """Several samples: each verified, the step checked against torch.optim on the batch, and
    the checker's table of quantities recomputes every value the engine holds."""
    solution = solve(with_samples(spec, numbers))
    batch, update = solution.batch, solution.update
    assert solution.update_disagreement <= 1e-12 or solution.update_explained
    table = batch_quantities(batch.network, update.rule)
    ours = compute_all(table)
    for name, value in batch_values(batch, update).items():
        if value.is_finite() and ours[name].is_finite():
            assert abs(ours[name] - value) <= Decimal("1e-20") * max(1, abs(value)), name
    json.dumps(to_json(solution), allow_nan=False)


@settings(max_examples=4, **DETERMINISTIC)
@given(
    specs(),
    st.lists(st.integers(-20, 20), min_size=1, max_size=12),
    st.sampled_from(["en", "ko"]),
    st.sampled_from(["exact", "rounded"]),
)
def test_every_valid_batch_builds_a_sheet(spec, numbers, lang, carry):
    spec = with_samples(spec, numbers)
    html = Sheet(spec, lang, precision=3, carry=carry).html
    count = len(spec.samples)
    assert html.count("<section id=") == 4 + 3 * (count if count <= 4 else 1)
    assert "NaN" not in html and "Infinity" not in html
