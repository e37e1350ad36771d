"""What an exercise set varies and what it keeps: the network's shape per level (or a spec's),
and the pools its numbers are drawn from: numbers a student can work by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from derive.engine.losses import LOSSES
from derive.engine.spec import Spec, bias_count, weight_count
from derive.errors import InputError

LEVELS = (1, 2, 3)
MAX_PARAMETERS = 40  # a bigger network is not an exercise worked by hand


def _pool(low: str, high: str, step: str, zero: bool = False) -> tuple[Decimal, ...]:
    """low, low + step, …, high (0 left out unless `zero`)."""
    values, value = [], Decimal(low)
    while value <= Decimal(high):
        if value or zero:
            values.append(value)
        value += Decimal(step)
    return tuple(values)


@dataclass(frozen=True)
class Shape:
    """What every variant of a set shares: the network, not its numbers."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    bias: str = "none"
    numbering: str = "by_source"
    settings: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def parameters(self) -> int:
        return weight_count(self.layers) + bias_count(self.layers, self.bias)


@dataclass(frozen=True)
class Pools:
    """Where a variant's numbers come from."""

    inputs: tuple[Decimal, ...]
    weights: tuple[Decimal, ...]
    biases: tuple[Decimal, ...]
    targets: tuple[Decimal, ...] | None  # None: one-hot (softmax with cross-entropy)
    rates: tuple[Decimal, ...] = (Decimal("0.1"), Decimal("0.5"))


WEIGHTS = _pool("-0.9", "0.9", "0.1")
BIASES = _pool("-0.5", "0.5", "0.1")
POSITIVE_INPUTS = _pool("0.1", "1.0", "0.1")
SIGNED_INPUTS = _pool("-1.0", "1.0", "0.1")
UNIT_TARGETS = _pool("0.0", "1.0", "0.1", zero=True)
SIGNED_TARGETS = _pool("-0.9", "0.9", "0.1", zero=True)
BINARY_TARGETS = (Decimal(0), Decimal(1))


@dataclass(frozen=True)
class Level:
    number: int
    shapes: tuple[Shape, ...]  # a set draws one, so every student answers the same names
    pools: Pools


def level(number: int) -> Level:
    """1: the seed's shape; 2: biases, two outputs, ½Σ loss; 3: tanh or ReLU hidden units,
    softmax with cross-entropy, up to 3-3-2."""
    if number == 1:
        shape = Shape((2, 2, 1), ("sigmoid", "sigmoid"), "mse")
        return Level(1, (shape,), Pools(POSITIVE_INPUTS, WEIGHTS, BIASES, UNIT_TARGETS))
    if number == 2:
        shape = Shape((2, 2, 2), ("sigmoid", "sigmoid"), "half_sse", "neuron")
        return Level(2, (shape,), Pools(POSITIVE_INPUTS, WEIGHTS, BIASES, UNIT_TARGETS))
    if number == 3:
        shapes = tuple(
            Shape(layers, (hidden, "softmax"), "cross_entropy", "neuron")
            for layers in ((2, 2, 2), (2, 3, 2), (3, 2, 2), (3, 3, 2))
            for hidden in ("tanh", "relu")
        )
        return Level(3, shapes, Pools(SIGNED_INPUTS, WEIGHTS, BIASES, None))
    raise ValueError(f"no level {number}")


def from_spec(spec: Spec) -> Level:
    """A spec's own network, its numbers drawn anew from pools its activations and loss
    allow; refused (InputError) when it is too big to work by hand."""
    shape = Shape(
        spec.layers, spec.activations, spec.loss, spec.bias, spec.numbering, spec.settings
    )
    if shape.parameters > MAX_PARAMETERS:
        raise InputError(
            spec.source,
            "network.layers",
            f"{shape.parameters} parameters is too many to vary for a hand exercise "
            f"(at most {MAX_PARAMETERS})",
        )
    return Level(0, (shape,), Pools(_inputs(spec), WEIGHTS, BIASES, _targets(spec)))


def _inputs(spec: Spec) -> tuple[Decimal, ...]:
    return POSITIVE_INPUTS if all(x >= 0 for x in spec.inputs) else SIGNED_INPUTS


def _targets(spec: Spec) -> tuple[Decimal, ...] | None:
    entry = LOSSES[spec.loss]
    if entry.targets_sum_to_one:
        return None
    if entry.target_range is not None:  # binary cross-entropy: 0 or 1, as its examples do
        return BINARY_TARGETS
    output = spec.activations[-1]
    return UNIT_TARGETS if output == "sigmoid" else SIGNED_TARGETS
