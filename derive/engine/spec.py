"""Spec files: load TOML or JSON, validate every key, and return a Spec.

Numbers are read as exact decimals (0.7 stays 7/10), so every later value starts from exactly
what the author wrote. Nothing here evaluates user text.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from derive import LANGUAGES
from derive.engine.losses import LOSSES
from derive.engine.operations import ACTIVATIONS
from derive.engine.reader import Reader
from derive.engine.source import parse_toml, read_document
from derive.engine.training_spec import TrainingSettings, parse_training
from derive.errors import shown

BIAS_MODES = ("none", "neuron", "layer")
NUMBERINGS = ("by_source", "by_target")
MAX_NEURONS = 64
MAX_PARAMETERS = 4096
MAX_LAYERS = 8
MAX_SAMPLES = 32  # each sample is a derivation of its own
MAX_TITLE = 200  # characters
BUILTIN_NAME = "seed"
BUILTIN_SOURCE = "<built-in seed>"  # the source of the built-in seed, as messages name it
# one spelling per table: the worked solution's η is values.learning_rate, [training] takes
# torch.optim's names (lr); the other spelling is refused with the right one
LEARNING_RATE_HINT = "the learning rate here is values.learning_rate ([training] calls it lr)"


@dataclass(frozen=True)
class Spec:
    """A validated network and its example values, as the author wrote them."""

    source: str  # where it came from, for messages and footers
    name: str  # output file stem
    # as written: one string for every language, or {"en": …, "ko": …}; None: the defaults
    title: str | dict[str, str] | None
    layers: tuple[int, ...]
    activations: tuple[str, ...]  # one per non-input layer
    loss: str
    bias: str
    numbering: str
    inputs: tuple[Decimal, ...]
    targets: tuple[Decimal, ...]
    weights: tuple[Decimal, ...]
    biases: tuple[Decimal, ...]
    learning_rate: Decimal
    # the activations' settings this network uses (leaky ReLU's negative_slope), defaults filled
    settings: Mapping[str, Decimal] = field(default_factory=dict)
    training: TrainingSettings | None = None  # the [training] table, when given
    # every (inputs, targets) when the spec gives several samples; () for one: inputs, targets
    samples: tuple[tuple[tuple[Decimal, ...], tuple[Decimal, ...]], ...] = ()

    @property
    def batch(self) -> tuple[tuple[tuple[Decimal, ...], tuple[Decimal, ...]], ...]:
        """Every sample's (inputs, targets), the one sample included."""
        return self.samples or ((self.inputs, self.targets),)

    def title_for(self, lang: str) -> str | None:
        """This language's title, or None for its default."""
        if isinstance(self.title, dict):
            return self.title.get(lang)
        return self.title

    @property
    def weight_count(self) -> int:
        return weight_count(self.layers)

    @property
    def bias_count(self) -> int:
        return bias_count(self.layers, self.bias)


def weight_count(layers: tuple[int, ...]) -> int:
    return sum(a * b for a, b in itertools.pairwise(layers))


def bias_count(layers: tuple[int, ...], mode: str) -> int:
    return {"none": 0, "neuron": sum(layers[1:]), "layer": len(layers) - 1}[mode]


def load_spec(path: str | Path | None) -> Spec:
    """Read a spec file (TOML, or JSON by its .json suffix); None gives the built-in seed."""
    if path is None:
        text = resources.files("derive").joinpath("examples/seed.toml").read_text("utf-8")
        return parse_spec(parse_toml(text, BUILTIN_SOURCE), BUILTIN_SOURCE, BUILTIN_NAME)
    return parse_spec(read_document(path), str(path), Path(path).stem)


def parse_spec(data: dict[str, Any], source: str, name: str) -> Spec:
    """Validate a parsed spec document; the first problem found raises InputError."""
    top = Reader(source, data, "", ("title", "network", "values", "training"))
    title = _titles(top, data["title"]) if "title" in data else None
    network, values = (_table(top, key) for key in ("network", "values"))

    setting_names = tuple(dict.fromkeys(s for a in ACTIVATIONS.values() for s in a.settings))
    net = Reader(
        source,
        network,
        "network.",
        ("layers", "activation", "loss", "bias", "numbering", *setting_names),
    )
    layers = _layers(net)
    activations = _activations(net, len(layers) - 1)
    settings = _settings(net, activations)
    loss = net.choice("loss", LOSSES, "mse")
    bias = net.choice("bias", BIAS_MODES, "none")
    numbering = net.choice("numbering", NUMBERINGS, "by_source")
    _check_pairing(net, layers, activations, loss)
    parameters = weight_count(layers) + bias_count(layers, bias)
    if parameters > MAX_PARAMETERS:
        net.fail("layers", f"{parameters} parameters is too many (at most {MAX_PARAMETERS})")

    val = Reader(
        source,
        values,
        "values.",
        ("inputs", "targets", "weights", "biases", "learning_rate"),
        {"lr": LEARNING_RATE_HINT},
    )
    for key in ("inputs", "targets", "weights"):
        val.require(key)
    n_in, n_out, n_w = layers[0], layers[-1], weight_count(layers)
    n_b = bias_count(layers, bias)
    inputs = val.rows("inputs", n_in, f"one per input {_names('x', n_in)}", MAX_SAMPLES)
    targets = val.rows("targets", n_out, f"one per output {_names('y', n_out)}", MAX_SAMPLES)
    if len(targets) != len(inputs):
        val.fail("targets", f"{len(targets)} samples, but inputs has {len(inputs)}")
    weights = val.numbers("weights", n_w, f"{_names('w', n_w)} for layers {list(layers)}")
    bias_what = f"{_names('b', n_b)} for bias = {bias!r}" if n_b else f"none: bias = {bias!r}"
    biases = val.numbers("biases", n_b, bias_what)
    rate = val.number("learning_rate", values.get("learning_rate", Decimal("0.1")))
    if rate <= 0:
        val.fail("learning_rate", f"must be positive, got {rate}")
    for s, row in enumerate(targets):
        _check_targets(val, loss, row, f"[{s}]" if len(targets) > 1 else "")
    training = parse_training(source, _table(top, "training")) if "training" in data else None
    return Spec(
        source=source,
        name=name,
        title=title,
        layers=layers,
        activations=activations,
        loss=loss,
        bias=bias,
        numbering=numbering,
        inputs=inputs[0],
        targets=targets[0],
        weights=weights,
        biases=biases,
        learning_rate=rate,
        settings=settings,
        training=training,
        samples=tuple(zip(inputs, targets, strict=True)) if len(inputs) > 1 else (),
    )


def _names(letter: str, count: int) -> str:
    """'y1' for one, 'w1..w6' for six."""
    return f"{letter}1" if count == 1 else f"{letter}1..{letter}{count}"


def _titles(reader: Reader, value: Any) -> str | dict[str, str]:
    """A title for every language, or a table of one per language (`title = { en = "…",
    ko = "…" }`); a language left out of the table gets its default title."""
    if not isinstance(value, dict):
        return _title(reader, "title", value)
    if not value:
        reader.fail("title", "is an empty table; leave it out for the default titles")
    for lang in value:
        if lang not in LANGUAGES:
            reader.fail(f"title.{lang}", f"unknown language (choose from: {', '.join(LANGUAGES)})")
    return {lang: _title(reader, f"title.{lang}", text) for lang, text in value.items()}


def _title(reader: Reader, key: str, value: Any) -> str:
    """One title string, stripped: at most MAX_TITLE characters, no control characters."""
    if not isinstance(value, str):
        reader.fail(key, f"must be a string in quotes, got {shown(value)}")
    text = value.strip()
    if not text:
        reader.fail(key, "is empty; leave it out for the default title")
    if len(text) > MAX_TITLE:
        reader.fail(key, f"{len(text):,} characters is too long (at most {MAX_TITLE})")
    if any(unicodedata.category(c) == "Cc" for c in text):
        reader.fail(key, "contains a control character (a line break, tab or the like)")
    return text


def _table(reader: Reader, key: str) -> dict[str, Any]:
    value = reader.require(key)
    if not isinstance(value, dict):
        reader.fail(key, "must be a table")
    return value


def _layers(net: Reader) -> tuple[int, ...]:
    layers = net.require("layers")
    if not isinstance(layers, list) or len(layers) < 2:
        net.fail("layers", "must list at least an input size and an output size, e.g. [2, 2, 1]")
    if len(layers) > MAX_LAYERS:
        net.fail("layers", f"{len(layers)} layers is too many (at most {MAX_LAYERS})")
    for i, size in enumerate(layers):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            net.fail(
                f"layers[{i}]", f"must be a whole number of neurons (at least 1), got {shown(size)}"
            )
        if size > MAX_NEURONS:
            net.fail(f"layers[{i}]", f"{shown(size)} neurons is too many (at most {MAX_NEURONS})")
    return tuple(layers)


def _activations(net: Reader, count: int) -> tuple[str, ...]:
    value = net.table.get("activation", "sigmoid")
    if isinstance(value, str):
        name = net._choice("activation", value, ACTIVATIONS)
        if ACTIVATIONS[name].output_only and count > 1:
            net.fail("activation", f"{name} belongs to the output layer only; give a list")
        return (name,) * count
    if not isinstance(value, list) or len(value) != count:
        net.fail("activation", f"must be one name or a list of {count} (one per non-input layer)")
    names = tuple(net._choice(f"activation[{i}]", v, ACTIVATIONS) for i, v in enumerate(value))
    for i, name in enumerate(names[:-1]):
        if ACTIVATIONS[name].output_only:
            net.fail(f"activation[{i}]", f"{name} is allowed on the output layer only")
    return names


def _check_pairing(
    net: Reader, layers: tuple[int, ...], activations: tuple[str, ...], loss: str
) -> None:
    out = activations[-1]
    if out == "softmax" and layers[-1] < 2:
        net.fail("activation", "softmax needs at least 2 output neurons")
    needs = LOSSES[loss].needs
    if needs and out != needs:
        net.fail("loss", f"{loss} needs {needs} outputs, but the output layer is {out}")


def _settings(net: Reader, activations: tuple[str, ...]) -> dict[str, Decimal]:
    """Each setting of the activations in use (its default unless given); a setting no layer
    uses is refused, so a typo'd activation name does not leave a slope silently unused."""
    used = {k: v for a in dict.fromkeys(activations) for k, v in ACTIVATIONS[a].settings.items()}
    for key in net.table:
        if key not in used and key not in ("layers", "activation", "loss", "bias", "numbering"):
            owners = [a.name for a in ACTIVATIONS.values() if key in a.settings]
            net.fail(key, f"only used by {' or '.join(owners)}, which no layer has")
    settings = {}
    for key, default in used.items():
        value = net.number(key, net.table.get(key, default))
        if not 0 <= value <= 1:
            net.fail(key, f"must be between 0 and 1, got {value}")
        settings[key] = value
    return settings


def _check_targets(val: Reader, loss: str, targets: tuple[Decimal, ...], row: str) -> None:
    entry = LOSSES[loss]
    if entry.target_range is not None:
        low, high = entry.target_range
        for i, y in enumerate(targets):
            if not low <= y <= high:
                val.fail(f"targets{row}[{i}]", f"{loss} needs targets in [{low}, {high}], got {y}")
    if entry.targets_sum_to_one and sum(targets) != 1:
        val.fail(f"targets{row}", f"{loss} needs targets that sum to 1, got {sum(targets)}")
