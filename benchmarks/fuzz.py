"""Fuzz `derive solve`: random valid specs against an independent 80-digit reference.

derive promises that every number it prints is the exact value (50 digits, rounded to float64)
and that a valid spec is never refused. Its own four-way verification compares derive with
itself, float64 PyTorch and finite differences, so it cannot see what they all get wrong, and
it cannot say how often it fails on inputs nobody wrote by hand. This script measures both. It
draws N random valid specs from one seed (every activation, loss, bias mode and numbering
derive accepts; a quarter of them deliberately hard: ReLU stacks, saturated sigmoid/tanh units,
binary cross-entropy with logits of 100 to 200, inputs of 1000 on weights of 0.001), runs each
through `python -m derive solve SPEC --json` in a fresh process, and holds every value, the
loss, every gradient and every updated parameter against a reference computed here with mpmath
at 80 significant digits, from the semantics in docs/spec.md only (derive is never imported).

Each run is `right` (exit 0, every number within 1e-9 relative of the reference, plus an
absolute 1e-300; a value that cancels to exactly 0 must be 0 to about 40 digits, see
`expected`), `wrong numbers`, `verification failed` (exit 1), `refused` (exit 2), `traceback`
or `timeout` (60 s). Prints a Markdown table of the outcomes, the wall times and the failing
cases; exit code 0 only when every run is right.

    PYTHONPATH=. python benchmarks/fuzz.py [--count N | --quick] [--seed S] [--jobs J]
                                           [--keep DIR]

Activations derive does not know yet (leaky_relu, softplus) and the `network.negative_slope`
key are probed once at start and drawn only when derive accepts them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from mpmath import mp, mpf

ROOT = Path(__file__).resolve().parent.parent
DIGITS, CHECK_DIGITS = 80, 120  # the reference, and again to measure its rounding noise
KINK_MARGIN = 20  # digits: |z| below 10^(20 − digits) of its terms is an exact 0
NOISE_MARGIN = mpf(10) ** 40  # a value agrees to within 1e40 × the reference's rounding noise
TIMEOUT = 60.0
SLOW = 10.0
DETAIL_LIMIT = 240  # characters of a stderr line shown (SymPy may print a whole expression)
RELATIVE, FLOOR = 1e-9, 1e-300
QUICK_COUNT = 40
HARD_FRACTION = 0.25
HARD_KINDS = ("relu stack", "saturated", "bce big logits", "steep")
LOSSES = ("mse", "half_sse", "sse", "bce", "cross_entropy")
SQUARED_SCALE = {"mse": None, "half_sse": mpf(1) / 2, "sse": mpf(1)}  # None: 1/m
BIAS_MODES = ("none", "neuron", "layer")
NUMBERINGS = ("by_source", "by_target")
BASE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
NEW_ACTIVATIONS = ("leaky_relu", "softplus")
DEFAULT_SLOPE = "0.01"
OUTCOMES = ("right", "wrong numbers", "verification failed", "refused", "traceback", "timeout")

mp.dps = DIGITS

Json = dict[str, Any]


# ---------------------------------------------------------------- the reference (mpmath)


def _sigmoid(z: mpf) -> mpf:
    return 1 / (1 + mp.exp(-z))


def _softplus(z: mpf) -> mpf:
    return mp.log1p(mp.exp(z))


def _step(z: mpf, below: mpf) -> mpf:
    """1 for z > 0, else `below` (0 for ReLU at its kink, as PyTorch)."""
    return mpf(1) if z > 0 else below


# name -> (f(z, slope), f'(z, slope)); only leaky_relu reads the slope. The derivatives avoid
# cancellation: σ' = σ(z)·σ(−z), tanh' = sech², never 1 − σ or 1 − tanh² of a saturated unit.
ACTIVATIONS: dict[str, tuple[Callable[[mpf, mpf], mpf], Callable[[mpf, mpf], mpf]]] = {
    "sigmoid": (lambda z, s: _sigmoid(z), lambda z, s: _sigmoid(z) * _sigmoid(-z)),
    "tanh": (lambda z, s: mp.tanh(z), lambda z, s: mp.sech(z) ** 2),
    "relu": (lambda z, s: max(z, mpf(0)), lambda z, s: _step(z, mpf(0))),
    "linear": (lambda z, s: z, lambda z, s: mpf(1)),
    "leaky_relu": (lambda z, s: z if z > 0 else s * z, _step),
    "softplus": (lambda z, s: _softplus(z), lambda z, s: _sigmoid(z)),
}


@dataclass(frozen=True)
class Net:
    """A spec document's network and values, numbers as mpf at the working precision."""

    layers: tuple[int, ...]
    activations: tuple[str, ...]  # one per non-input layer
    loss: str
    bias: str
    numbering: str
    slope: mpf
    inputs: list[mpf]
    targets: list[mpf]
    weights: list[mpf]
    biases: list[mpf]
    rate: mpf


def parse_net(doc: Json) -> Net:
    """The network of a spec document as docs/spec.md defines it, defaults included."""
    network, values = doc["network"], doc["values"]
    layers = tuple(network["layers"])
    activation = network.get("activation", "sigmoid")
    if isinstance(activation, str):
        activation = [activation] * (len(layers) - 1)

    def numbers(key: str) -> list[mpf]:
        return [mpf(str(v)) for v in values.get(key, [])]

    return Net(
        layers=layers,
        activations=tuple(activation),
        loss=network.get("loss", "mse"),
        bias=network.get("bias", "none"),
        numbering=network.get("numbering", "by_source"),
        slope=mpf(str(network.get("negative_slope", DEFAULT_SLOPE))),
        inputs=numbers("inputs"),
        targets=numbers("targets"),
        weights=numbers("weights"),
        biases=numbers("biases"),
        rate=mpf(str(values.get("learning_rate", "0.1"))),
    )


def weight_index(layers: tuple[int, ...], numbering: str, l: int, i: int, j: int) -> int:
    """0-based index into w1..wN of the weight from source i of layer l to neuron j of l+1."""
    offset = sum(a * b for a, b in itertools.pairwise(layers[: l + 1]))
    n_src, n_tgt = layers[l], layers[l + 1]
    return offset + (i * n_tgt + j if numbering == "by_source" else j * n_src + i)


def bias_index(layers: tuple[int, ...], mode: str, l: int, j: int) -> int | None:
    """0-based index into b1..bM of the bias of neuron j of layer l+1 (None: no bias)."""
    if mode == "none":
        return None
    return l if mode == "layer" else sum(layers[1 : l + 1]) + j


def _weight(net: Net, l: int, i: int, j: int) -> mpf:
    return net.weights[weight_index(net.layers, net.numbering, l, i, j)]


def _softmax(z: list[mpf]) -> list[mpf]:
    total = mp.log(mp.fsum(mp.exp(v) for v in z))
    return [mp.exp(v - total) for v in z]


def _pre_activation(terms: list[mpf]) -> mpf:
    """Σ terms, where a sum that vanishes to within the working precision is exactly 0: the
    spec's decimals are not binary fractions, so 0.5·0.2 − 0.1 comes out as ±1e-81, and ReLU
    must take its kink value there, as derive's exact decimals do."""
    z = mp.fsum(terms)
    size = mp.fsum(abs(t) for t in terms)
    return mpf(0) if abs(z) <= size * mpf(10) ** (KINK_MARGIN - mp.dps) else z


def forward(net: Net) -> list[tuple[list[mpf], list[mpf]]]:
    """(z, a) of every non-input layer, first hidden to output."""
    a, layers = net.inputs, []
    for l, name in enumerate(net.activations):
        z = []
        for j in range(net.layers[l + 1]):
            k = bias_index(net.layers, net.bias, l, j)
            terms = [a[i] * _weight(net, l, i, j) for i in range(len(a))]
            z.append(_pre_activation(terms if k is None else [*terms, net.biases[k]]))
        a = _softmax(z) if name == "softmax" else [ACTIVATIONS[name][0](v, net.slope) for v in z]
        layers.append((z, a))
    return layers


def output_loss(net: Net, z: list[mpf], o: list[mpf]) -> tuple[mpf, list[mpf]]:
    """C and ∂C/∂z of the output layer. bce and cross_entropy are taken from the logits, so
    they stay finite and exact however saturated the outputs are."""
    y, m = net.targets, len(net.targets)
    if net.loss == "bce":
        terms = (t * _softplus(-v) + (1 - t) * _softplus(v) for t, v in zip(y, z))
        return mp.fsum(terms) / m, [(_sigmoid(v) - t) / m for t, v in zip(y, z)]
    if net.loss == "cross_entropy":
        total, mass = mp.log(mp.fsum(mp.exp(v) for v in z)), mp.fsum(y)
        loss = mp.fsum(t * (total - v) for t, v in zip(y, z))
        return loss, [p * mass - t for p, t in zip(_softmax(z), y)]
    scale = SQUARED_SCALE[net.loss] or mpf(1) / m
    loss = scale * mp.fsum((t - v) ** 2 for t, v in zip(y, o))
    d_out = [2 * scale * (v - t) for t, v in zip(y, o)]
    name = net.activations[-1]
    if name == "softmax":
        mean = mp.fsum(g * p for g, p in zip(d_out, o))
        return loss, [p * (g - mean) for g, p in zip(d_out, o)]
    derivative = ACTIVATIONS[name][1]
    return loss, [g * derivative(v, net.slope) for g, v in zip(d_out, z)]


def _node_names(net: Net) -> list[tuple[list[str], list[str]]]:
    """(z names, activation names) per non-input layer: z1.. across all, h1.. hidden, o1.."""
    z_count, h_count, last = itertools.count(1), itertools.count(1), len(net.layers) - 2
    names = []
    for l, size in enumerate(net.layers[1:]):
        prefix, counter = ("o", itertools.count(1)) if l == last else ("h", h_count)
        z_names = [f"z{next(z_count)}" for _ in range(size)]
        names.append((z_names, [f"{prefix}{next(counter)}" for _ in range(size)]))
    return names


def reference(doc: Json) -> Json:
    """values, loss, gradients and updated parameters, as in `derive solve --json`, as mpf."""
    net = parse_net(doc)
    layers = forward(net)
    values = {f"x{i + 1}": v for i, v in enumerate(net.inputs)}
    values |= {f"y{i + 1}": v for i, v in enumerate(net.targets)}
    values |= {f"w{i + 1}": v for i, v in enumerate(net.weights)}
    values |= {f"b{i + 1}": v for i, v in enumerate(net.biases)}
    for (z_names, a_names), (z, a) in zip(_node_names(net), layers):
        values |= dict(zip(z_names, z)) | dict(zip(a_names, a))

    loss, delta = output_loss(net, *layers[-1])
    w_grad, b_grad = [mpf(0)] * len(net.weights), [mpf(0)] * len(net.biases)
    for l in reversed(range(len(layers))):
        sources = layers[l - 1][1] if l else net.inputs
        for j, d in enumerate(delta):
            for i, a in enumerate(sources):
                w_grad[weight_index(net.layers, net.numbering, l, i, j)] = d * a
            k = bias_index(net.layers, net.bias, l, j)
            if k is not None:
                b_grad[k] += d  # a shared layer bias sums the gradients of its uses
        if l:
            derivative = ACTIVATIONS[net.activations[l - 1]][1]
            delta = [
                derivative(z, net.slope)
                * mp.fsum(_weight(net, l, i, j) * d for j, d in enumerate(delta))
                for i, z in enumerate(layers[l - 1][0])
            ]
    gradients = {f"w{i + 1}": g for i, g in enumerate(w_grad)}
    gradients |= {f"b{i + 1}": g for i, g in enumerate(b_grad)}
    updated = {p: values[p] - net.rate * g for p, g in gradients.items()}
    return {"values": values, "loss": loss, "gradients": gradients, "updated": updated}


# ---------------------------------------------------------------- drawing specs


@dataclass(frozen=True)
class Options:
    """What derive accepts, found by probing it."""

    activations: tuple[str, ...]  # elementwise activations to draw (softmax is always drawn)
    skipped: tuple[str, ...]  # activations derive refused
    slope_key: bool  # network.negative_slope is accepted


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    hard: str | None  # which hard kind, if any
    doc: Json

    @property
    def name(self) -> str:
        return f"fuzz-{self.index:04d}"

    def describe(self) -> str:
        network = self.doc["network"]
        activation = network["activation"]
        names = activation if isinstance(activation, str) else "·".join(activation)
        hard = f", hard: {self.hard}" if self.hard else ""
        return (
            f"{network['layers']} {names}, {network['loss']}, bias {network['bias']}, "
            f"{network['numbering']}{hard}"
        )

    def toml(self) -> str:
        hard = f", hard: {self.hard}" if self.hard else ""
        return toml_text(self.doc, f"{self.name} (benchmarks/fuzz.py --seed {self.seed}){hard}")


def toml_text(doc: Json, comment: str) -> str:
    lines = [f"# {comment}"]
    for table, entries in doc.items():
        lines += ["", f"[{table}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in entries.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    """TOML for the values drawn here: exact decimals as written, never a float's repr."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _number(rng: random.Random, low: float, high: float, signed: bool = True) -> Decimal:
    """A decimal with 1 to 6 places, magnitude log-uniform in [low, high] (at least one unit
    in its last place)."""
    places = rng.randint(1, 6)
    magnitude = low * (high / low) ** rng.random()
    value = Decimal(max(1, round(magnitude * 10**places))).scaleb(-places)
    return -value if signed and rng.random() < 0.5 else value


def _fraction(rng: random.Random) -> Decimal:
    """A decimal in [0, 1]: 0.0 or 1.0 a third of the time."""
    if rng.random() < 1 / 3:
        return rng.choice((Decimal("0.0"), Decimal("1.0")))
    places = rng.randint(1, 6)
    return Decimal(rng.randint(0, 10**places)).scaleb(-places)


def _distribution(rng: random.Random, size: int) -> list[Decimal]:
    """Non-negative decimals summing to exactly 1: one-hot a third of the time."""
    if rng.random() < 1 / 3:
        hot = rng.randrange(size)
        return [Decimal("1.0") if k == hot else Decimal("0.0") for k in range(size)]
    places = rng.randint(1, 6)
    total = 10**places
    cuts = sorted(rng.randint(0, total) for _ in range(size - 1))
    return [Decimal(b - a).scaleb(-places) for a, b in itertools.pairwise([0, *cuts, total])]


def _targets(rng: random.Random, loss: str, size: int) -> list[Decimal]:
    if loss == "cross_entropy":
        return _distribution(rng, size)
    if loss == "bce":
        return [_fraction(rng) for _ in range(size)]
    return [_number(rng, 0.01, 5) for _ in range(size)]


def _learning_rate(rng: random.Random) -> Decimal:
    roll = rng.random()
    if roll < 0.1:
        return Decimal("0.000001")
    if roll < 0.2:
        return Decimal("10.0")
    return _number(rng, 0.01, 1, signed=False)


def _values(rng: random.Random, layers: list[int], bias: str, loss: str) -> Json:
    wide = rng.random() < 0.15  # inputs up to ±1000
    n_weights = sum(a * b for a, b in itertools.pairwise(layers))
    n_biases = {"none": 0, "neuron": sum(layers[1:]), "layer": len(layers) - 1}[bias]
    return {
        "inputs": [_number(rng, 0.01, 1000 if wide else 5) for _ in range(layers[0])],
        "targets": _targets(rng, loss, layers[-1]),
        "weights": [_number(rng, 0.01, 5) for _ in range(n_weights)],
        "biases": [_number(rng, 0.01, 5) for _ in range(n_biases)],
        "learning_rate": _learning_rate(rng),
    }


def _tidy(value: Decimal) -> Decimal:
    """Rounded to 6 places, trailing zeros dropped, at least one place kept."""
    value = value.quantize(Decimal("0.000001")).normalize()
    if not value:
        return Decimal("0.0")
    return value if value.as_tuple().exponent < 0 else value.quantize(Decimal("0.1"))


def _scale_layer(doc: Json, l: int, peak: float) -> None:
    """Scale the weights and biases into non-input layer l so its largest |z| is about `peak`
    (at most 1000×, keeping every value far below derive's limit of 1e6)."""
    net = parse_net(doc)
    largest = max(abs(z) for z in forward(net)[l][0])
    if not largest:
        return
    factor = min(Decimal(1000), Decimal(f"{peak / float(largest):.3g}"))
    values = doc["values"]
    for i, j in itertools.product(range(net.layers[l]), range(net.layers[l + 1])):
        k = weight_index(net.layers, net.numbering, l, i, j)
        values["weights"][k] = _tidy(values["weights"][k] * factor)
    for k in {bias_index(net.layers, net.bias, l, j) for j in range(net.layers[l + 1])} - {None}:
        values["biases"][k] = _tidy(values["biases"][k] * factor)


def _steepen(rng: random.Random, doc: Json) -> None:
    """Some inputs become ±1000 and every weight leaving them ±0.001..±0.009."""
    net = parse_net(doc)
    values = doc["values"]
    for i in rng.sample(range(net.layers[0]), rng.randint(1, net.layers[0])):
        values["inputs"][i] = Decimal(rng.choice(("-1000.0", "1000.0")))
        for j in range(net.layers[1]):
            k = weight_index(net.layers, net.numbering, 0, i, j)
            values["weights"][k] = Decimal(rng.choice((-1, 1)) * rng.randint(1, 9)).scaleb(-3)


def _make_hard(rng: random.Random, kind: str | None, doc: Json) -> None:
    activations = parse_net(doc).activations
    if kind == "steep":
        _steepen(rng, doc)
    elif kind == "saturated":
        for l, name in enumerate(activations):
            if name in ("sigmoid", "tanh"):
                _scale_layer(doc, l, rng.uniform(10, 40))
    elif kind == "bce big logits":
        _scale_layer(doc, len(activations) - 1, rng.uniform(100, 200))


def draw_case(rng: random.Random, seed: int, index: int, options: Options) -> Case:
    """One random valid spec; a HARD_FRACTION of them of one of the HARD_KINDS."""
    kind = rng.choice(HARD_KINDS) if rng.random() < HARD_FRACTION else None
    loss = "bce" if kind == "bce big logits" else rng.choice(LOSSES)
    output = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss)
    output = output or rng.choice((*options.activations, "softmax"))
    hidden_pool = {"relu stack": ("relu",), "saturated": ("sigmoid", "tanh")}
    pool = hidden_pool.get(kind or "", options.activations)
    hidden = [rng.choice(pool) for _ in range(rng.randint(2 if kind == "relu stack" else 1, 4))]
    layers = [rng.randint(1, 6) for _ in range(len(hidden) + 1)]
    layers.append(rng.randint(2 if output == "softmax" else 1, 6))
    activations = [*hidden, output]
    same = len(set(activations)) == 1 and rng.random() < 0.5
    network: Json = {
        "layers": layers,
        "activation": activations[0] if same else activations,
        "loss": loss,
        "bias": rng.choice(BIAS_MODES),
        "numbering": rng.choice(NUMBERINGS),
    }
    if options.slope_key and "leaky_relu" in activations and rng.random() < 0.5:
        network["negative_slope"] = _number(rng, 0.01, 0.5, signed=False)
    doc = {"network": network, "values": _values(rng, layers, network["bias"], loss)}
    _make_hard(rng, kind, doc)
    return Case(seed, index, kind, doc)


# ---------------------------------------------------------------- running derive


@dataclass(frozen=True)
class Run:
    exit_code: int | None  # None: timed out
    seconds: float
    stdout: str
    stderr: str

    @property
    def stderr_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1].strip() if lines else ""


def run_derive(directory: Path, file: str) -> Run:
    """`python -m derive solve FILE --json` in a fresh process, in `directory` (so messages
    name the file, not a temporary path), importing this checkout's derive."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), path)))}
    command = [sys.executable, "-m", "derive", "solve", file, "--json"]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=directory, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return Run(None, time.perf_counter() - start, "", "")
    return Run(done.returncode, time.perf_counter() - start, done.stdout, done.stderr)


def probe(directory: Path) -> Options:
    """Which of NEW_ACTIVATIONS, and whether network.negative_slope, derive accepts (exit 2:
    not yet)."""

    def accepts(label: str, network: Json) -> bool:
        values = {
            "inputs": [Decimal("0.5")],
            "targets": [Decimal("0.25")],
            "weights": [Decimal("-0.75")],  # z < 0: where the new activations differ
        }
        doc = {"network": {"layers": [1, 1], "loss": "mse", **network}, "values": values}
        file = f"probe-{label}.toml"
        (directory / file).write_text(toml_text(doc, f"probe: {label}"), "utf-8")
        return run_derive(directory, file).exit_code != 2

    new = {name: accepts(name, {"activation": name}) for name in NEW_ACTIVATIONS}
    slope = new["leaky_relu"] and accepts(
        "negative_slope", {"activation": "leaky_relu", "negative_slope": Decimal("0.2")}
    )
    return Options(
        activations=BASE_ACTIVATIONS + tuple(n for n in NEW_ACTIVATIONS if new[n]),
        skipped=tuple(n for n in NEW_ACTIVATIONS if not new[n]),
        slope_key=slope,
    )


def run_all(cases: list[Case], jobs: int) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="derive-fuzz-") as tmp:
        directory = Path(tmp)
        for case in cases:
            (directory / f"{case.name}.toml").write_text(case.toml(), "utf-8")
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            files = (f"{case.name}.toml" for case in cases)
            runs = []
            for run in pool.map(lambda file: run_derive(directory, file), files):
                runs.append(run)
                if len(runs) % 20 == 0:
                    print(f"{len(runs)}/{len(cases)} run", file=sys.stderr, flush=True)
    return runs


# ---------------------------------------------------------------- classifying and reporting


@dataclass(frozen=True)
class Verdict:
    case: Case
    run: Run
    outcome: str
    detail: str  # derive's last stderr line, or the number that disagrees
    worst: tuple[float, str] | None  # exit 0: the largest error and the value it is in


def _flatten(result: Json) -> dict[str, Any]:
    flat = {"loss": result.get("loss")}
    for section in ("values", "gradients", "updated"):
        flat |= {f"{section}.{name}": v for name, v in (result.get(section) or {}).items()}
    return flat


@dataclass(frozen=True)
class Expected:
    value: mpf
    floor: mpf  # absolute tolerance


def expected(doc: Json) -> dict[str, Expected]:
    """Every number derive prints, flattened ("loss", "values.z1", "gradients.w3", ...), from
    the reference at DIGITS, with FLOOR or NOISE_MARGIN × its rounding noise (its distance from
    the reference at CHECK_DIGITS) as absolute tolerance. A value that cancels to exactly 0 (the
    gradient of a bias shared by a softmax layer) is noise at any precision: derive's must then
    be 0 to about 40 digits of the terms it is made of."""
    coarse = _flatten(reference(doc))
    with mp.workdps(CHECK_DIGITS):
        fine = _flatten(reference(doc))
    noise = {key: NOISE_MARGIN * abs(value - fine[key]) for key, value in coarse.items()}
    return {key: Expected(v, max(mpf(FLOOR), noise[key])) for key, v in coarse.items()}


def _error(got: Any, want: Expected) -> float:
    """|got − want| / (|want| + floor/RELATIVE): the relative error with the absolute floor
    folded in, so a value agrees exactly when this is at most RELATIVE. A value beyond
    float64's range comes as a decimal string (docs/json.md)."""
    if isinstance(got, str):
        try:
            got = mpf(got)
        except ValueError:
            return math.inf
        return float(abs(got - want.value) / (abs(want.value) + want.floor / RELATIVE))
    if isinstance(got, bool) or not isinstance(got, int | float) or not math.isfinite(got):
        return math.inf
    return float(abs(mpf(got) - want.value) / (abs(want.value) + want.floor / RELATIVE))


def compare(result: Json, want: dict[str, Expected]) -> tuple[float, str, str | None]:
    """The worst error and where, and a description of the disagreements (None: all agree)."""
    got = _flatten(result)
    extra = sorted(got.keys() - want.keys())
    errors = {key: _error(got.get(key), value) for key, value in want.items()}
    where = max(errors, key=errors.__getitem__)
    bad = [key for key, e in errors.items() if e > RELATIVE]
    if not bad and not extra:
        return errors[where], where, None
    if not bad:
        return errors[where], where, f"unexpected {', '.join(extra)}"
    key = max(bad, key=errors.__getitem__)
    value = want[key].value
    shown = "0" if abs(value) <= want[key].floor else mp.nstr(value, 17)
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return errors[where], where, f"{key} = {got.get(key)!r}, reference {shown}{more}"


def classify(case: Case, run: Run) -> Verdict:
    code = run.exit_code
    if code is None:
        return Verdict(case, run, "timeout", f"no answer in {TIMEOUT:g} s", None)
    if "Traceback" in run.stderr or code not in (0, 1, 2):
        return Verdict(case, run, "traceback", f"exit {code}: {run.stderr_line}", None)
    if code:
        outcome = "refused" if code == 2 else "verification failed"
        return Verdict(case, run, outcome, run.stderr_line, None)
    try:
        result = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        return Verdict(case, run, "wrong numbers", f"stdout is not JSON: {exc}", None)
    spec = tomllib.loads(case.toml(), parse_float=Decimal)  # exactly the file derive read
    error, where, problem = compare(result, expected(spec))
    outcome = "wrong numbers" if problem else "right"
    return Verdict(case, run, outcome, problem or run.stderr_line, (error, where))


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _example(verdict: Verdict) -> str:
    text = verdict.detail
    detail = f" — {text[:DETAIL_LIMIT]}{'…' if len(text) > DETAIL_LIMIT else ''}" if text else ""
    return f"`{verdict.case.name}` {verdict.case.describe()}{detail}"


def report(verdicts: list[Verdict], options: Options, seed: int) -> str:
    drawn = ", ".join(options.activations)
    lines = [f"Activations drawn: {drawn}, softmax (output only)."]
    if options.skipped:
        lines.append(f"Skipped, derive refuses them (exit 2): {', '.join(options.skipped)}.")
    if not options.slope_key:
        lines.append("Skipped: network.negative_slope (derive refuses it, or leaky_relu).")
    hard = sum(v.case.hard is not None for v in verdicts)
    lines += ["", f"{len(verdicts)} specs, seed {seed}, {hard} of them hard.", ""]
    lines += ["| outcome | count | example |", "|---|---:|---|"]
    for outcome in OUTCOMES:
        found = [v for v in verdicts if v.outcome == outcome]
        example = _cell(_example(found[0])) if found else ""
        lines.append(f"| {outcome} | {len(found)} | {example} |")

    times = [v.run.seconds for v in verdicts]
    slow = [v for v in verdicts if v.run.seconds > SLOW]
    slow_names = ": " + ", ".join(f"{v.case.name} ({v.run.seconds:.1f} s)" for v in slow)
    lines += [
        "",
        f"Timing: median {statistics.median(times):.2f} s, 95th percentile "
        f"{_percentile(times, 0.95):.2f} s, max {max(times):.2f} s; "
        f"{len(slow)} slower than {SLOW:g} s{slow_names if slow else ''}.",
    ]
    right = [v for v in verdicts if v.outcome == "right" and v.worst]
    if right:
        worst = max(right, key=lambda v: v.worst[0])
        error, where = worst.worst
        lines.append(
            f"Worst relative error of a right run: {error:.2g} ({worst.case.name}, {where})."
        )

    failing = [v for v in verdicts if v.outcome != "right"]
    lines += ["", f"Failing cases ({len(failing)}):"]
    lines += [f"- {v.outcome}: {_example(v)}" for v in failing] or ["- none"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=320, help="specs to draw (default 320)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} specs: a smoke test")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--jobs", type=int, default=2, help="derive runs at once (default 2)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write failing specs here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="derive-probe-") as tmp:
        options = probe(Path(tmp))
    rng = random.Random(args.seed)
    count = QUICK_COUNT if args.quick else args.count
    cases = [draw_case(rng, args.seed, index, options) for index in range(count)]
    runs = run_all(cases, args.jobs)
    verdicts = [classify(case, run) for case, run in zip(cases, runs)]
    print(report(verdicts, options, args.seed))

    failing = [v for v in verdicts if v.outcome != "right"]
    if args.keep and failing:
        args.keep.mkdir(parents=True, exist_ok=True)
        for v in failing:
            (args.keep / f"{v.case.name}.toml").write_text(v.case.toml(), "utf-8")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
