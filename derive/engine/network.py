"""The network as SymPy builds it: named nodes, each a small expression of its parents.

Names follow the seed notes: inputs x1.., pre-activations z1.. across all non-input neurons,
hidden activations h1.. across hidden layers, outputs o1.., targets y1.., weights w1..,
biases b1.., loss C. Every node's expression uses only its direct parents' symbols, so
derivatives are taken locally (never of one whole-network expression).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sympy as sp

from derive.engine.operations import ACTIVATIONS, LOSSES
from derive.engine.spec import Spec

LOSS = "C"


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
        """Node or parameter -> the computed nodes that use it directly, in evaluation order."""
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
    weight_grid, bias_grid = _weight_names(spec), _bias_names(spec)
    weights = tuple(f"w{i + 1}" for i in range(spec.weight_count))
    biases = tuple(f"b{i + 1}" for i in range(spec.bias_count))

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

    names = [*inputs, *targets, *weights, *biases]
    names += [name for layer in layers for n in layer for name in (n.z, n.a)]
    symbols = {name: sp.Symbol(name) for name in names}
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
            exprs[n.a] = act.apply(zs, n.index)
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
    symbols[LOSS] = sp.Symbol(LOSS)

    given = dict(zip(inputs, spec.inputs))
    given.update(zip(targets, spec.targets))
    given.update(zip(weights, spec.weights))
    given.update(zip(biases, spec.biases))
    return Network(
        spec=spec,
        inputs=inputs,
        targets=targets,
        layers=tuple(layers),
        weights=weights,
        biases=biases,
        given=given,
        symbols=symbols,
        exprs=exprs,
        parents=parents,
        order=tuple(order),
    )
