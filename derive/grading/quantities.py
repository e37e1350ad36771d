"""Every number a worked solution contains, as a named quantity computed from other quantities.

The checker recomputes these from a student's own numbers (error carried forward), with
values rounded as the student rounded them, or with a typical slip built in. Names are what a
student writes: z1, h1, o1, C, "dC/do1", "do1/dz3", "dz3/dw5", "dC/dz3", "dC/dw5", "w5'".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import sympy as sp

from derive.engine.derivation import Derivation
from derive.engine.exact import evaluate, round_places
from derive.engine.network import LOSS, Network

Values = Mapping[str, Decimal]


@dataclass(frozen=True)
class Quantity:
    name: str
    kind: str  # given | node | local | adjoint | gradient | update
    inputs: tuple[str, ...]  # the quantities it is computed from (given numbers excluded)
    compute: Callable[[Values], Decimal]


def local_name(of: str, wrt: str) -> str:
    return f"d{of}/d{wrt}"


def quantities(derivation: Derivation) -> dict[str, Quantity]:
    """All quantities of a derivation, in the order a worked solution computes them."""
    net = derivation.network
    out: dict[str, Quantity] = {
        x: Quantity(x, "given", (), lambda v, value=net.given[x]: value) for x in net.inputs
    }
    for node in net.order:
        out[node] = _expression(node, "node", net.exprs[node], net)
    children = net.children()
    for node in reversed(net.order[:-1]):
        for child in children[node]:
            local = derivation.locals[(child, node)]
            out[local_name(child, node)] = _expression(
                local_name(child, node), "local", local.simplified, net
            )
        if node not in net.outputs:  # at an output, dC/do is the loss's own derivative
            terms = [(local_name(LOSS, c), local_name(c, node)) for c in children[node]]
            out[local_name(LOSS, node)] = _sum_of_products(local_name(LOSS, node), "adjoint", terms)
    rate = net.spec.learning_rate
    for param in _output_first(net):
        for z in children[param]:
            local = derivation.locals[(z, param)]
            out[local_name(z, param)] = _expression(
                local_name(z, param), "local", local.simplified, net
            )
        terms = [(local_name(LOSS, z), local_name(z, param)) for z in children[param]]
        gradient = local_name(LOSS, param)
        out[gradient] = _sum_of_products(gradient, "gradient", terms)
        given = net.given[param]
        out[f"{param}'"] = Quantity(
            f"{param}'", "update", (gradient,), lambda v, g=gradient, p=given: p - rate * v[g]
        )
    return out


def _output_first(net: Network) -> list[str]:
    """Parameters layer by layer from the output back, as backpropagation meets them."""
    ordered: list[str] = []
    for layer in reversed(net.layers):
        for n in layer:
            ordered += [w for _, w in n.terms]
        ordered += [n.bias for n in layer if n.bias and n.bias not in ordered]
    rank = {p: k for k, p in enumerate(net.params)}
    return sorted(dict.fromkeys(ordered), key=lambda p: (-_layer_of(net, p), rank[p]))


def _layer_of(net: Network, param: str) -> int:
    return next(n.layer for n in net.neurons if param == n.bias or param in (w for _, w in n.terms))


def _expression(name: str, kind: str, expr: sp.Expr, net: Network) -> Quantity:
    names = {net.symbols[n]: n for n in net.symbols}
    used = sorted((names[s] for s in expr.free_symbols), key=list(net.symbols).index)
    inputs = tuple(n for n in used if n not in net.given)
    given = {net.symbols[n]: net.given[n] for n in used if n in net.given}

    def compute(values: Values) -> Decimal:
        return evaluate(expr, {**given, **{net.symbols[n]: values[n] for n in inputs}})

    return Quantity(name, kind, inputs, compute)


def _sum_of_products(name: str, kind: str, terms: list[tuple[str, str]]) -> Quantity:
    inputs = tuple(n for pair in terms for n in pair)
    return Quantity(name, kind, inputs, lambda v: sum((v[a] * v[b] for a, b in terms), Decimal(0)))


def compute_all(
    table: dict[str, Quantity], overrides: Values | None = None, places: int | None = None
) -> dict[str, Decimal]:
    """Every quantity, in order; an override replaces a quantity's value (a student's number);
    `places` rounds each computed value before it is used, as by hand."""
    overrides = overrides or {}
    values: dict[str, Decimal] = {}
    for name, q in table.items():
        if name in overrides:
            values[name] = overrides[name]
            continue
        try:
            value = q.compute(values)
        except (ArithmeticError, ValueError):
            value = Decimal("NaN")
        values[name] = (
            value if places is None or not value.is_finite() else round_places(value, places)
        )
    return values


def with_compute(
    table: dict[str, Quantity], changes: dict[str, Callable[[Values], Decimal]]
) -> dict[str, Quantity]:
    """The same table with some quantities computed differently (a slip)."""
    return {n: replace(q, compute=changes[n]) if n in changes else q for n, q in table.items()}
