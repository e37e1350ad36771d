"""The chain rule, node by node, in numbers: forward values, local derivatives, ∂C/∂node, gradients.

The formulas come from the Network (SymPy's derivative of each small node expression); here
they are evaluated over exact decimals. ∂C/∂node sums over the nodes that use it, so a hidden
weight collects every path through the layers above and a shared parameter collects every use.
The result is plain data that the update rules, sheets, checker and verifier read. What to do
with a gradient (a step of gradient descent, or of another optimizer) is derive.engine.update.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.exact import (
    PRECISION,
    Near,
    evaluate,
    exact_context,
    float_context,
    round_places,
)
from derive.engine.names import Name
from derive.engine.network import LOSS, LocalForm, Network, path_counts, paths
from derive.engine.operations import ACTIVATIONS
from derive.errors import InputError

PATH_LIMIT = 64  # paths per parameter kept as explicit lists (always counted)
CANCELLED = Decimal(10) ** (5 - PRECISION)  # a sum this much smaller than its terms is 0
FLOAT_TINY = Decimal("2.2250738585072014e-308")  # float64's smallest number at full precision


@dataclass(frozen=True)
class Local:
    """∂of/∂wrt for two adjacent nodes (or a node and a parameter): its forms, with numbers."""

    form: LocalForm
    substitution: dict[str, Decimal]  # the numbers put into `simplified`: {"o1": 0.6457…}
    value: Decimal

    @property
    def of(self) -> str:
        return self.form.of

    @property
    def wrt(self) -> str:
        return self.form.wrt

    @property
    def generic(self) -> sp.Expr:
        """SymPy's derivative, over the parents' names: σ(z3)(1 − σ(z3))."""
        return self.form.generic

    @property
    def simplified(self) -> sp.Expr:
        """The same over the node's own name where that reads better: o1(1 − o1)."""
        return self.form.simplified


@dataclass(frozen=True)
class Adjoint:
    """∂C/∂node = Σ over the nodes that use it of ∂C/∂child · ∂child/∂node (the δ form)."""

    node: str
    children: tuple[str, ...]
    value: Decimal


@dataclass(frozen=True)
class Gradient:
    """∂C/∂param, summed over the pre-activations it enters."""

    param: str
    uses: tuple[str, ...]  # the pre-activations it enters (several when shared)
    paths: tuple[tuple[str, ...], ...]  # C → … → z → param; empty if more than PATH_LIMIT
    path_count: int
    value: Decimal


@dataclass(frozen=True)
class Derivation:
    network: Network
    places: int | None  # None: exact carry; else every intermediate rounded to this many decimals
    values: dict[str, Decimal]  # every node (given and computed), C included
    near: dict[str, Near]  # outputs of saturated units, by their distance from ±1
    locals: dict[tuple[str, str], Local]
    adjoints: dict[str, Adjoint]  # ∂C/∂node for every computed node
    gradients: dict[str, Gradient]

    @property
    def loss(self) -> Decimal:
        return self.values[LOSS]

    @property
    def params(self) -> dict[str, Decimal]:
        """The parameters' values the gradients were taken at."""
        return {p: self.values[p] for p in self.network.params}

    def factors(self, path: tuple[str, ...]) -> list[Local]:
        """The local derivatives along a path C → … → param, in chain-rule order."""
        return [self.locals[(a, b)] for a, b in itertools.pairwise(path)]


def derive(
    network: Network,
    places: int | None = None,
    float_like: bool = False,
    given: Mapping[str, Decimal] | None = None,
) -> Derivation:
    """Run the forward pass and backpropagate. `places` rounds every intermediate (hand mode).
    `float_like` (rounding as float64 does, no distances from ±1) with nudged `given` numbers
    makes the twin whose difference from the exact values estimates what rounding does to a
    float64 computation (the verifier's tolerance for PyTorch)."""
    with float_context() if float_like else exact_context():
        return _derive(network, places, float_like, given)


def _derive(
    network: Network,
    places: int | None,
    float_like: bool,
    given: Mapping[str, Decimal] | None,
) -> Derivation:
    keep = _keeper(network, places, float_like)
    start = dict(network.given if given is None else given)
    exact = not float_like and places is None
    values, near = _forward(network, start, keep, float_like, distances=exact)
    symbols = network.symbols
    at: dict[sp.Symbol, Decimal] = {symbols[name]: v for name, v in values.items()}
    at_near = _near_symbols(network, near)
    locals_: dict[tuple[str, str], Local] = {}
    for key, form in network.forms.items():
        value = _evaluate(form.simplified, at, at_near, float_like)
        if not form.simplified.is_Symbol:  # ∂z/∂h = w: the weight as it is, given or carried
            value = keep(str(Name(*key)), value)
        substitution = {name: values[name] for name in form.names}
        locals_[key] = Local(form, substitution, value)

    children = network.children()
    adjoints = {LOSS: Adjoint(LOSS, (), Decimal(1))}
    for node in reversed(network.order[:-1]):
        users = children[node]
        total = _chain_sum(
            [adjoints[c].value * locals_[(c, node)].value for c in users], float_like
        )
        adjoints[node] = Adjoint(node, users, keep(node, total))

    counts = path_counts(network)
    gradients = {}
    for param in network.params:
        users = children[param]
        total = _chain_sum(
            [adjoints[z].value * locals_[(z, param)].value for z in users], float_like
        )
        count = counts[param]
        found = paths(network, param) if count <= PATH_LIMIT else ()
        gradients[param] = Gradient(param, users, found, count, keep(param, total))
    return Derivation(network, places, values, near, locals_, adjoints, gradients)


def forward_loss(derivation: Derivation, params: Mapping[str, Decimal]) -> Decimal:
    """C at other parameters (the loss after a step), computed as the derivation was (exact,
    or with every intermediate rounded the same way)."""
    network, places = derivation.network, derivation.places
    with exact_context():
        given = {**network.given, **params}
        keep = _keeper(network, places, float_like=False, stepped=True)
        values, _ = _forward(network, given, keep, False, distances=places is None)
    return values[LOSS]


def _keeper(
    network: Network, places: int | None, float_like: bool, stepped: bool = False
) -> Callable[[str, Decimal], Decimal]:
    """What happens to each computed value: rounded as by hand (places), kept, or refused
    where exact arithmetic cannot hold it (the float-like twin may lose it: NaN). `stepped`:
    the values are at the parameters a step left, not the spec's."""

    def keep(name: str, value: Decimal) -> Decimal:
        if not value.is_finite():
            if not float_like:
                raise _out_of_range(network, name, places, stepped)
            return Decimal("NaN")  # the float-like twin may lose a value: its checks say so
        if float_like and abs(value) < FLOAT_TINY:
            return Decimal(0)  # float64 may lose it altogether: PyTorch's σ(−710) is 0
        return value if places is None else round_places(value, places)

    return keep


def _forward(
    network: Network,
    values: dict[str, Decimal],
    keep: Callable[[str, Decimal], Decimal],
    float_like: bool,
    distances: bool,
) -> tuple[dict[str, Decimal], dict[str, Near]]:
    """Every node's value in evaluation order, and with `distances` the saturated outputs'
    distances from ±1 and the outputs' logarithms from their logits, which the loss reads
    (exact carry only: a hand-rounded or float-like value hides no digits)."""
    symbols = network.symbols
    at: dict[sp.Symbol, Decimal] = {symbols[name]: v for name, v in values.items()}
    near: dict[str, Near] = {}
    logs: dict[sp.Expr, Decimal] = {}
    outputs_of = _activation_layers(network)
    for node in network.order:
        expr = network.exprs[node]
        value = _evaluate(expr, at, _near_symbols(network, near), float_like, logs)
        values[node] = keep(node, value)
        at[symbols[node]] = values[node]
        if distances and node in outputs_of:
            near.update(_near_layer(network, outputs_of[node], values))
            if outputs_of[node] == len(network.layers) - 1:
                logs = _output_logs(network, values)
    return values, near


def _chain_sum(terms: list[Decimal], float_like: bool) -> Decimal:
    """Σ of the chain rule's terms. A sum that cancels below the working precision of its
    terms is 0 (a bias shared by a softmax layer: Σ(o − y) = 1 − 1), not the rounding left
    over (3×10⁻⁵⁰); the float-like twin keeps its rounding, as float64 would."""
    total = sum(terms, Decimal(0))
    if float_like or not total.is_finite():
        return total
    size = sum((abs(t) for t in terms), Decimal(0))
    return Decimal(0) if abs(total) <= CANCELLED * size else total


def _evaluate(
    expr: sp.Expr,
    at: dict[sp.Symbol, Decimal],
    near: dict[sp.Symbol, Near],
    float_like: bool,
    logs: dict[sp.Expr, Decimal] | None = None,
) -> Decimal:
    try:
        return evaluate(expr, at, near, float_like=float_like, logs=logs)
    except (ArithmeticError, ValueError):  # ln(0), 1/0 where a value rounded to 0 or 1
        return Decimal("NaN")


def _out_of_range(network: Network, name: str, places: int | None, stepped: bool) -> InputError:
    if places is not None:
        problem = (
            f"with every intermediate rounded to {places} decimals, {name} cannot be computed "
            "(a value rounds to exactly 0 or 1); use more decimals or exact carry"
        )
    elif stepped:
        problem = (
            f"the loss after the step cannot be computed: at the updated parameters {name} is "
            "beyond the range of exact arithmetic; use a smaller learning rate"
        )
        return InputError(network.spec.source, "values.learning_rate", problem)
    else:
        problem = (
            f"{name} cannot be computed at these values (beyond the range of exact "
            "arithmetic); use smaller weights or inputs"
        )
    return InputError(network.spec.source, "values", problem)


def _activation_layers(network: Network) -> dict[str, int]:
    """The last activation of each layer → the layer's index (its near values are known then)."""
    return {layer[-1].a: k for k, layer in enumerate(network.layers)}


def _near_layer(network: Network, k: int, values: dict[str, Decimal]) -> dict[str, Near]:
    layer = network.layers[k]
    act = ACTIVATIONS[network.activation(layer[0].layer)]
    if act.near is None:
        return {}
    zs = [values[n.z] for n in layer]
    outs = [values[n.a] for n in layer]
    found = {n.a: act.near(zs, outs, n.index) for n in layer}
    return {name: near for name, near in found.items() if near is not None}


def _output_logs(network: Network, values: dict[str, Decimal]) -> dict[sp.Expr, Decimal]:
    """ln o and ln(1 − o) of every output, from the logits (sigmoid and softmax outputs)."""
    layer = network.layers[-1]
    act = ACTIVATIONS[network.activation(layer[0].layer)]
    if act.logs is None:
        return {}
    zs = [values[n.z] for n in layer]
    logs: dict[sp.Expr, Decimal] = {}
    for n in layer:
        o = network.symbols[n.a]
        logs[o], logs[1 - o] = act.logs(zs, n.index)
    return logs


def _near_symbols(network: Network, near: dict[str, Near]) -> dict[sp.Symbol, Near]:
    return {network.symbols[name]: value for name, value in near.items()}
