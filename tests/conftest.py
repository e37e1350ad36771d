"""Shared helpers: build specs in code and run the engine on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from derive.engine.derivation import Derivation, derive
from derive.engine.network import build_network
from derive.engine.spec import Spec, parse_spec


def make_spec(**overrides: Any) -> Spec:
    """The seed example with any [network] or [values] key replaced."""
    network = {
        "layers": [2, 2, 1],
        "activation": "sigmoid",
        "loss": "mse",
        "bias": "none",
        "numbering": "by_source",
    }
    values: dict[str, Any] = {
        "inputs": [0.5, 0.3],
        "targets": [1.0],
        "weights": [0.7, 0.3, 0.4, 0.6, 0.55, 0.45],
        "biases": [],
        "learning_rate": 0.1,
    }
    for key, value in overrides.items():
        (network if key in network or key == "negative_slope" else values)[key] = value
    as_decimal = {
        k: [Decimal(str(x)) for x in v] if isinstance(v, list) else Decimal(str(v))
        for k, v in values.items()
    }
    if "negative_slope" in network:
        network["negative_slope"] = Decimal(str(network["negative_slope"]))
    return parse_spec({"network": network, "values": as_decimal}, "<test>", "test")


def run(**overrides: Any) -> Derivation:
    return derive(build_network(make_spec(**overrides)))


@pytest.fixture
def seed() -> Derivation:
    return run()
