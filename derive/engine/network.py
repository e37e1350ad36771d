"""The network as SymPy builds it: named nodes, each a small expression of its parents.

Names follow the seed notes: inputs x1.., pre-activations z1.. across all non-input neurons,
hidden activations h1.. across hidden layers, outputs o1.., targets y1.., weights w1..,
biases b1.., loss C. Every node's expression uses only its direct parents' symbols, so
derivatives are taken locally (never of one whole-network expression): each local derivative's
form is derived here once, and evaluated by the derivation at any precision.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.losses import LOSSES
from derive.engine.names import LOSS
from derive.engine.operations import ACTIVATIONS
from derive.engine.spec import Spec


@dataclass(frozen=True)
class Neuron:
    """One non-input neuron: z = Σ source·weight (+ bias), a = f(z)."""

    layer: int  # 1 for the first hidden layer, up to the output layer
    index: int  # position inside its layer, from 0
    z: str
    a: str
    terms: tuple[tuple[str, str], ...]  # (source node, weight) in source order
    bias: str | None


@dataclass(frozen=True)
class LocalForm:
    """∂of/∂wrt for two adjacent nodes (or a node and a parameter), as formulas."""

    of: str
    wrt: str
    generic: sp.Expr  # SymPy's derivative, over the parents' names: σ(z3)(1 − σ(z3))
    simplified: sp.Expr  # the same over the node's own name where that reads better: o1(1 − o1)
    names: tuple[str, ...]  # the names `simplified` uses, in network order


@dataclass(frozen=True)
class Network:
    spec: Spec
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    layers: tuple[tuple[Neuron, ...], ...]  # the non-input layers, first hidden to output
    weights: tuple[str, ...]
    biases: tuple[str, ...]
    given: dict[str, Decimal]  # x, y, w, b as the spec wrote them
    symbols: dict[str, sp.Symbol]
    exprs: dict[str, sp.Expr]  # every computed node (z, h, o, C) over its parents' symbols
    parents: dict[str, tuple[str, ...]]  # computed node -> the nodes and parameters it depends on
    order: tuple[str, ...]  # computed nodes in evaluation order, ending with C
    forms: dict[tuple[str, str], LocalForm]  # every local derivative, by (of, wrt)
    # each sample's inputs and targets by name; `given` holds the first sample's
    samples: tuple[dict[str, Decimal], ...] = ()

    @property
    def several(self) -> bool:
        """Several samples: their nodes are told apart (h1^(2)), their loss is a mean."""
        return len(self.samples) > 1

    @property
    def params(self) -> tuple[str, ...]:
        return self.weights + self.biases

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(n.a for n in self.layers[-1])

    @property
    def neurons(self) -> tuple[Neuron, ...]:
        return tuple(n for layer in self.layers for n in layer)

    def activation(self, layer: int) -> str:
        return self.spec.activations[layer - 1]

    def children(self) -> dict[str, tuple[str, ...]]:
        """Node or parameter -> the computed nodes that use it directly, in evaluation order
        (worked out once per network: every parameter's chain-rule paths ask for it; callers
        must not change it)."""
        return self._children

    @functools.cached_property
    def _paths(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """derive.engine.network.paths' findings, node by node."""
        return {}

    @functools.cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        users: dict[str, list[str]] = {}
        for node in self.order:
            for parent in self.parents[node]:
                users.setdefault(parent, []).append(node)
        return {name: tuple(nodes) for name, nodes in users.items()}


def _weight_names(spec: Spec) -> list[list[list[str]]]:
    """names[l][i][j]: the weight from neuron i of layer l to neuron j of layer l+1."""
    names: list[list[list[str]]] = []
    count = 0
    for n_in, n_out in zip(spec.layers, spec.layers[1:]):
        grid = [[""] * n_out for _ in range(n_in)]
        pairs = (
            [(i, j) for i in range(n_in) for j in range(n_out)]
            if spec.numbering == "by_source"
            else [(i, j) for j in range(n_out) for i in range(n_in)]
        )
        for i, j in pairs:
            count += 1
            grid[i][j] = f"w{count}"
        names.append(grid)
    return names


def _bias_names(spec: Spec) -> list[list[str | None]]:
    """names[l][j]: the bias of neuron j in non-input layer l+1 (shared names when tied)."""
    sizes = spec.layers[1:]
    if spec.bias == "none":
        return [[None] * size for size in sizes]
    if spec.bias == "layer":
        return [[f"b{l + 1}"] * size for l, size in enumerate(sizes)]
    names, count = [], 0
    for size in sizes:
        names.append([f"b{count + j + 1}" for j in range(size)])
        count += size
    return names


def build_network(spec: Spec) -> Network:
    """Lay out names and SymPy expressions for every node of the spec's network."""
    inputs = tuple(f"x{i + 1}" for i in range(spec.layers[0]))
    targets = tuple(f"y{i + 1}" for i in range(spec.layers[-1]))
    weights = tuple(f"w{i + 1}" for i in range(spec.weight_count))
    biases = tuple(f"b{i + 1}" for i in range(spec.bias_count))
    layers = _layers(spec, inputs)
    names = [*inputs, *targets, *weights, *biases]
    names += [name for layer in layers for n in layer for name in (n.z, n.a)]
    symbols = {name: sp.Symbol(name) for name in names}
    exprs, parents, order = _graph(spec, layers, inputs, targets, symbols)
    symbols[LOSS] = sp.Symbol(LOSS)

    given = dict(zip(inputs, spec.inputs))
    given.update(zip(targets, spec.targets))
    given.update(zip(weights, spec.weights))
    given.update(zip(biases, spec.biases))
    network = Network(
        spec=spec,
        inputs=inputs,
        targets=targets,
        layers=layers,
        weights=weights,
        biases=biases,
        given=given,
        symbols=symbols,
        exprs=exprs,
        parents=parents,
        order=tuple(order),
        forms={},
        samples=tuple(
            {**dict(zip(inputs, xs, strict=True)), **dict(zip(targets, ys, strict=True))}
            for xs, ys in spec.batch
        ),
    )
    network.forms.update(_local_forms(network))
    return network


def _layers(spec: Spec, inputs: tuple[str, ...]) -> tuple[tuple[Neuron, ...], ...]:
    """Every layer's neurons, named (z and h numbered through the hidden layers, o per
    output), each with its weighted sources and bias."""
    weight_grid, bias_grid = _weight_names(spec), _bias_names(spec)
    layers: list[tuple[Neuron, ...]] = []
    sources, z_count, h_count = inputs, 0, 0
    last = len(spec.layers) - 1
    for l in range(1, last + 1):
        layer = []
        for j in range(spec.layers[l]):
            z_count += 1
            if l < last:
                h_count += 1
            a = f"h{h_count}" if l < last else f"o{j + 1}"
            terms = tuple((src, weight_grid[l - 1][i][j]) for i, src in enumerate(sources))
            layer.append(Neuron(l, j, f"z{z_count}", a, terms, bias_grid[l - 1][j]))
        layers.append(tuple(layer))
        sources = tuple(n.a for n in layer)
    return tuple(layers)


def _graph(
    spec: Spec,
    layers: tuple[tuple[Neuron, ...], ...],
    inputs: tuple[str, ...],
    targets: tuple[str, ...],
    symbols: dict[str, sp.Symbol],
) -> tuple[dict[str, sp.Expr], dict[str, tuple[str, ...]], list[str]]:
    """Each node's expression over its parents, its parents, and the evaluation order."""
    exprs: dict[str, sp.Expr] = {}
    parents: dict[str, tuple[str, ...]] = {}
    order: list[str] = []
    for layer in layers:
        for n in layer:
            exprs[n.z] = sp.Add(*(symbols[s] * symbols[w] for s, w in n.terms)) + (
                symbols[n.bias] if n.bias else 0
            )
            # inputs are data, not differentiated: a z depends on hidden sources and parameters
            deps = [name for s, w in n.terms for name in ((w,) if s in inputs else (s, w))]
            parents[n.z] = (*deps, *([n.bias] if n.bias else []))
        act = ACTIVATIONS[spec.activations[layer[0].layer - 1]]
        zs = [symbols[n.z] for n in layer]
        for n in layer:
            exprs[n.a] = act.apply(zs, n.index, spec.settings)
            parents[n.a] = (n.z,) if act.elementwise else tuple(m.z for m in layer)
        # evaluation order: z then a, neuron by neuron (as the seed), softmax after all its z
        if act.elementwise:
            order += [name for n in layer for name in (n.z, n.a)]
        else:
            order += [n.z for n in layer] + [n.a for n in layer]
    outputs = [symbols[n.a] for n in layers[-1]]
    exprs[LOSS] = LOSSES[spec.loss].apply(outputs, [symbols[y] for y in targets])
    parents[LOSS] = tuple(n.a for n in layers[-1])
    order.append(LOSS)
    return exprs, parents, order


def _local_forms(network: Network) -> dict[tuple[str, str], LocalForm]:
    """SymPy's derivative of every node with respect to each of its parents."""
    rank = {symbol: k for k, symbol in enumerate(network.symbols.values())}
    names = {symbol: name for name, symbol in network.symbols.items()}
    forms = {}
    for node in network.order:
        simplify = _simplifier(network, node)
        diff = _differentiator(network.exprs[node])
        for parent in network.parents[node]:
            generic = diff(network.symbols[parent])
            simplified = simplify(generic, parent)
            used = tuple(names[s] for s in sorted(simplified.free_symbols, key=rank.get))
            forms[(node, parent)] = LocalForm(node, parent, generic, simplified, used)
    return forms


def _differentiator(expr: sp.Expr) -> Callable[[sp.Symbol], sp.Expr]:
    """SymPy's derivative of `expr` by each of its symbols, taken term by term for sums:
    ∂z/∂w touches only the term with w (found once for all of them), and a term h·w gives h
    without SymPy's general machinery, which keeps a 64-input neuron as cheap as a 2-input
    one."""
    if not isinstance(expr, sp.Add):
        return lambda symbol: sp.diff(expr, symbol)
    terms: dict[sp.Symbol, list[sp.Expr]] = {}
    for term in expr.args:
        for symbol in term.free_symbols:
            terms.setdefault(symbol, []).append(term)
    return lambda symbol: sp.Add(*(_diff_term(t, symbol) for t in terms.get(symbol, ())))


def _diff_term(term: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    if term == symbol:
        return sp.Integer(1)
    factors = term.args if isinstance(term, sp.Mul) else ()
    if factors.count(symbol) == 1 and all(f.is_Symbol for f in factors):  # h·w by w: h
        return sp.Mul(*(f for f in factors if f != symbol))
    return sp.diff(term, symbol)


def _simplifier(network: Network, node: str) -> Callable[[sp.Expr, str], sp.Expr]:
    """How to rewrite ∂node/∂parent over node names: f(z) → a, or the operation's own form."""
    sym = network.symbols
    if node == LOSS:
        loss = LOSSES[network.spec.loss]
        m = len(network.outputs)
        targets = dict(zip(network.outputs, network.targets))
        return lambda generic, parent: loss.derivative_form(sym[parent], sym[targets[parent]], m)
    neuron = next((n for n in network.neurons if n.a == node), None)
    if neuron is None:
        return lambda generic, parent: generic
    act = ACTIVATIONS[network.activation(neuron.layer)]
    layer = network.layers[neuron.layer - 1]
    if act.output_form is not None:
        outs = [sym[n.a] for n in layer]
        index = {n.z: n.index for n in layer}
        return lambda generic, parent: act.output_form(outs, neuron.index, index[parent])
    own = {network.exprs[node]: sym[node]}
    return lambda generic, parent: generic.xreplace(own)


def path_counts(network: Network) -> dict[str, int]:
    """How many chain-rule paths lead from C to each node and parameter."""
    children = network.children()
    counts = {LOSS: 1}
    for node in reversed(network.order[:-1]):
        counts[node] = sum(counts[c] for c in children[node])
    for param in network.params:
        counts[param] = sum(counts[c] for c in children[param])
    return counts


def paths(network: Network, start: str) -> tuple[tuple[str, ...], ...]:
    """Every path from C down to `start`, as node names (kept with the network: every
    derivation of a training run asks again)."""
    children, found = network.children(), network._paths

    def walk(node: str) -> tuple[tuple[str, ...], ...]:
        if node not in found:
            found[node] = (
                ((LOSS,),)
                if node == LOSS
                else tuple((*up, node) for c in children[node] for up in walk(c))
            )
        return found[node]

    return walk(start)
