"""The chain rule, node by node: forward values, local derivatives, ∂C/∂node, gradients, updates.

Every local derivative is SymPy's derivative of one small node expression (never of the whole
loss), kept in its generic form (σ(z3)(1−σ(z3))), its form over node names (o1(1−o1)) and its
value. ∂C/∂node sums over the nodes that use it, so a hidden weight collects every path through
the layers above and a shared parameter collects every use. The result is plain data that the
sheets, the checker and the verifier read.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.exact import PRECISION, evaluate, round_fixed, round_places, update_places
from derive.engine.network import LOSS, Network
from derive.engine.operations import ACTIVATIONS, LOSSES
from derive.errors import InputError

PATH_LIMIT = 64  # paths per parameter kept as explicit lists (always counted)


@dataclass(frozen=True)
class Local:
    """∂of/∂wrt for two adjacent nodes (or a node and a parameter)."""

    of: str
    wrt: str
    generic: sp.Expr  # SymPy's derivative, over the parents' names: σ(z3)(1 − σ(z3))
    simplified: sp.Expr  # the same over the node's own name where that reads better: o1(1 − o1)
    substitution: dict[str, Decimal]  # the numbers put into `simplified`: {"o1": 0.6457…}
    value: Decimal


@dataclass(frozen=True)
class Adjoint:
    """∂C/∂node = Σ over the nodes that use it of ∂C/∂child · ∂child/∂node (the δ form)."""

    node: str
    children: tuple[str, ...]
    value: Decimal


@dataclass(frozen=True)
class Gradient:
    """∂C/∂param and the gradient-descent step p' = p − η·∂C/∂p."""

    param: str
    uses: tuple[str, ...]  # the pre-activations it enters (several when shared)
    paths: tuple[tuple[str, ...], ...]  # C → … → z → param; empty if more than PATH_LIMIT
    path_count: int
    value: Decimal
    step: Decimal  # η·∂C/∂p
    updated: Decimal


@dataclass(frozen=True)
class Derivation:
    network: Network
    places: int | None  # None: exact carry; else every intermediate rounded to this many decimals
    values: dict[str, Decimal]  # every node (given and computed), C included
    locals: dict[tuple[str, str], Local]
    adjoints: dict[str, Adjoint]  # ∂C/∂node for every computed node
    gradients: dict[str, Gradient]

    @property
    def loss(self) -> Decimal:
        return self.values[LOSS]

    @property
    def learning_rate(self) -> Decimal:
        return self.network.spec.learning_rate

    def factors(self, path: tuple[str, ...]) -> list[Local]:
        """The local derivatives along a path C → … → param, in chain-rule order."""
        return [self.locals[(a, b)] for a, b in itertools.pairwise(path)]


def derive(network: Network, places: int | None = None) -> Derivation:
    """Run the forward pass and backpropagate; `places` rounds every intermediate (hand mode)."""

    def keep(value: Decimal) -> Decimal:
        return value if places is None else round_places(value, places)

    symbols = network.symbols
    values = dict(network.given)
    at: dict[sp.Symbol, Decimal] = {symbols[name]: v for name, v in values.items()}
    for node in network.order:
        try:
            values[node] = keep(evaluate(network.exprs[node], at))
        except ArithmeticError:  # 0·log(0): an output is exactly 0 or 1
            values[node] = Decimal("Infinity")
        if not values[node].is_finite():
            raise InputError(
                network.spec.source,
                "values",
                f"{node} is infinite at these values (an output reached exactly 0 or 1 at "
                f"{PRECISION} digits); use smaller weights or inputs",
            )
        at[symbols[node]] = values[node]

    rank = {symbol: (k, name) for k, (name, symbol) in enumerate(symbols.items())}
    locals_: dict[tuple[str, str], Local] = {}
    for node in network.order:
        simplify = _simplifier(network, node)
        for parent in network.parents[node]:
            generic = _diff(network.exprs[node], symbols[parent])
            simplified = simplify(generic, parent)
            used = sorted(rank[s] for s in simplified.free_symbols)
            substitution = {name: values[name] for _, name in used}
            value = keep(evaluate(simplified, at))
            locals_[(node, parent)] = Local(node, parent, generic, simplified, substitution, value)

    children = network.children()
    adjoints = {LOSS: Adjoint(LOSS, (), Decimal(1))}
    for node in reversed(network.order[:-1]):
        users = children[node]
        total = sum((adjoints[c].value * locals_[(c, node)].value for c in users), Decimal(0))
        adjoints[node] = Adjoint(node, users, keep(total))

    counts = _path_counts(network, children)
    rate = network.spec.learning_rate
    gradients = {}
    for param in network.params:
        users = children[param]
        total = keep(
            sum((adjoints[z].value * locals_[(z, param)].value for z in users), Decimal(0))
        )
        count = counts[param]
        paths = _paths(param, children) if count <= PATH_LIMIT else ()
        step = rate * total
        updated = values[param] - step  # one calculator line: p − η·g
        if places is not None:
            updated = round_fixed(updated, update_places(step, places))
        gradients[param] = Gradient(param, users, paths, count, total, step, updated)
    return Derivation(network, places, values, locals_, adjoints, gradients)


def _diff(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """SymPy's derivative, taken term by term for sums: ∂z/∂w touches only the term with w,
    which keeps a 64-input neuron as cheap as a 2-input one."""
    if isinstance(expr, sp.Add):
        return sp.Add(*(sp.diff(term, symbol) for term in expr.args if term.has(symbol)))
    return sp.diff(expr, symbol)


def _simplifier(network: Network, node: str) -> Callable[[sp.Expr, str], sp.Expr]:
    """How to rewrite ∂node/∂parent over node names: f(z) → a, or the operation's own form."""
    if node == LOSS:
        loss = LOSSES[network.spec.loss]
        m = len(network.outputs)
        targets = dict(zip(network.outputs, network.targets))
        sym = network.symbols
        return lambda generic, parent: loss.derivative_form(sym[parent], sym[targets[parent]], m)
    neuron = next((n for n in network.neurons if n.a == node), None)
    if neuron is None:
        return lambda generic, parent: generic
    act = ACTIVATIONS[network.activation(neuron.layer)]
    layer = network.layers[neuron.layer - 1]
    if act.output_form is not None:
        outs = [network.symbols[n.a] for n in layer]
        index = {n.z: n.index for n in layer}
        return lambda generic, parent: act.output_form(outs, neuron.index, index[parent])
    own = {network.exprs[node]: network.symbols[node]}
    return lambda generic, parent: generic.xreplace(own)


def _path_counts(network: Network, children: dict[str, tuple[str, ...]]) -> dict[str, int]:
    counts = {LOSS: 1}
    for node in reversed(network.order[:-1]):
        counts[node] = sum(counts[c] for c in children[node])
    for param in network.params:
        counts[param] = sum(counts[c] for c in children[param])
    return counts


def _paths(start: str, children: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """Every path from C down to `start`, as node names."""
    if start == LOSS:
        return ((LOSS,),)
    return tuple((*up, start) for c in children[start] for up in _paths(c, children))
