"""Seeded variants: a set's shape with new numbers, never degenerate, never two alike.

A variant depends only on the set's arguments and its place in the set: the k-th variant is
drawn from a random stream seeded by (seed, level or spec, k), so `--variant V07` regenerates
V01…V07 (cheap: no rendering) and gives exactly the set's V07. Python's random with a string
seed is the same on every machine and in every process.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from derive.engine.batch import Batch
from derive.engine.derivation import Derivation, derive
from derive.engine.network import Network, build_network
from derive.engine.operations import ACTIVATIONS
from derive.engine.spec import Spec, bias_count, weight_count
from derive.exercises.levels import Level, Shape
from derive.exercises.questions import Question, QuestionKind, questions

MAX_ATTEMPTS = 2_000  # draws per variant before the set is given up as impossible
SATURATION = Decimal(3)  # |z| beyond this: a sigmoid or tanh unit too flat to teach with
ASKED_UNITS = 10  # an asked value is at least this many units of its last asked digit


@dataclass(frozen=True)
class Variant:
    id: str  # V01
    spec: Spec
    derivation: Derivation
    questions: tuple[Question, ...]

    @property
    def batch(self) -> Batch:
        """Its one sample as a batch: what the step, the check and the sheet take."""
        return Batch((self.derivation,))


class GenerationError(Exception):
    """No valid variant within MAX_ATTEMPTS draws."""


def variant_ids(count: int) -> list[str]:
    width = max(2, len(str(count)))
    return [f"V{k:0{width}d}" for k in range(1, count + 1)]


def variants(
    level: Level, key: str, seed: int, count: int, precision: int, kinds: Sequence[QuestionKind]
) -> Iterator[Variant]:
    """The set's variants in order; `key` names the level or spec in the random streams."""
    shape = random.Random(f"derive:{key}:{seed}:shape").choice(level.shapes)
    seen: set[tuple] = set()
    for k, ident in enumerate(variant_ids(count)):
        for attempt in range(MAX_ATTEMPTS):
            rng = random.Random(f"derive:{key}:{seed}:{k}:{attempt}")
            network = build_network(_draw(level, shape, rng, ident))
            canonical = canonical_form(network)
            if canonical in seen:
                continue
            derivation = derive(network)
            if degenerate(derivation, shape, precision):
                continue
            asked = questions(derivation, precision, kinds)
            if any(abs(q.answer) < ASKED_UNITS * Decimal(10) ** -precision for q in asked):
                continue  # 0.004 at 3 decimals: nothing to check a hand calculation by
            seen.add(canonical)
            yield Variant(ident, network.spec, derivation, asked)
            break
        else:
            raise GenerationError(
                f"no valid variant {ident} in {MAX_ATTEMPTS} draws: the numbers this network "
                "allows keep saturating a unit or asking for values too small to work by hand"
            )


def _draw(level: Level, shape: Shape, rng: random.Random, ident: str) -> Spec:
    pools, layers = level.pools, shape.layers
    weights = tuple(rng.choice(pools.weights) for _ in range(weight_count(layers)))
    biases = tuple(rng.choice(pools.biases) for _ in range(bias_count(layers, shape.bias)))
    inputs = tuple(rng.choice(pools.inputs) for _ in range(layers[0]))
    if pools.targets is None:  # one-hot
        hot = rng.randrange(layers[-1])
        targets = tuple(Decimal(int(i == hot)) for i in range(layers[-1]))
    else:
        targets = tuple(rng.choice(pools.targets) for _ in range(layers[-1]))
    return Spec(
        source=f"<variant {ident}>",
        name=ident,
        title=None,
        layers=layers,
        activations=shape.activations,
        loss=shape.loss,
        bias=shape.bias,
        numbering=shape.numbering,
        inputs=inputs,
        targets=targets,
        weights=weights,
        biases=biases,
        learning_rate=rng.choice(pools.rates),
        settings=dict(shape.settings),
    )


def degenerate(derivation: Derivation, shape: Shape, precision: int) -> bool:
    """A unit a student cannot learn from: a sigmoid, tanh or softmax input beyond ±3 (flat),
    a ReLU unit dead or within rounding distance of its kink (each activation's entry says
    whether it saturates or has a kink)."""
    net, values = derivation.network, derivation.values
    kink = Decimal(10) ** -precision
    for n in net.neurons:
        z = values[n.z]
        activation = ACTIVATIONS[shape.activations[n.layer - 1]]
        if activation.kink and z <= kink:
            return True
        if activation.saturates and abs(z) > SATURATION:
            return True
    return False


def canonical_form(net: Network) -> tuple:
    """The numbers with each hidden layer's neurons in a fixed order: two variants that are
    the same network with hidden neurons swapped are alike."""
    spec, given = net.spec, net.given
    order: dict[str, int] = {x: i for i, x in enumerate(net.inputs)}
    rows = []
    for layer in net.layers:
        keyed = []
        for n in layer:
            incoming = sorted((order[src], given[w]) for src, w in n.terms)
            bias = given[n.bias] if n.bias else Decimal(0)
            keyed.append(((tuple(v for _, v in incoming), bias), n.a))
        hidden = layer[0].a not in net.outputs
        ranked = sorted(keyed) if hidden else keyed
        order = {a: i for i, (_, a) in enumerate(ranked)}
        rows.append(tuple(k for k, _ in ranked))
    return (spec.inputs, spec.targets, spec.learning_rate, tuple(rows))
