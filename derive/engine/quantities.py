"""Every number a worked solution contains, as a named quantity computed from other quantities.

The checker recomputes these from a student's own numbers (error carried forward), with
values rounded as the student rounded them, or with a typical slip built in. Names are what a
student writes (derive.engine.names): z1, h1, o1, C, dC/do1, do1/dz3, dz3/dw5, dC/dz3, dC/dw5,
w5'. Every formula is the engine's: a node's expression, a local derivative's form, the chain
rule's sum of products, the update rule's step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

import sympy as sp

from derive.engine.batch import Batch, derive_batch, sample_network
from derive.engine.derivation import Derivation
from derive.engine.exact import evaluate, exact_context, round_places
from derive.engine.names import LOSS, Name
from derive.engine.network import Network
from derive.engine.training import OptimizerRule, descend
from derive.engine.update import Update

Values = Mapping[Name, Decimal]


class QuantityRole(StrEnum):
    """What a quantity is in the worked solution (the checker treats updates and means apart)."""

    GIVEN = "given"  # an input, target or parameter of the spec
    NODE = "node"  # a forward value: z, h, o, C
    LOCAL = "local"  # a local derivative: do1/dz3, dz3/dw5
    ADJOINT = "adjoint"  # dC/d(node), backwards
    GRADIENT = "gradient"  # dC/d(parameter)
    MEAN = "mean"  # of the samples' (a batch)
    UPDATE = "update"  # a parameter after the step


@dataclass(frozen=True)
class Quantity:
    name: Name
    role: QuantityRole
    inputs: tuple[Name, ...]  # the quantities it is computed from (given numbers excluded)
    compute: Callable[[Values], Decimal]


def quantities(network: Network, rule: OptimizerRule) -> dict[Name, Quantity]:
    """All quantities of a worked step, in the order a worked solution computes them."""
    net = network
    out: dict[Name, Quantity] = {}
    for x in net.inputs:
        out[Name(x)] = Quantity(
            Name(x), QuantityRole.GIVEN, (), lambda v, value=net.given[x]: value
        )
    for node in net.order:
        out[Name(node)] = _expression(Name(node), QuantityRole.NODE, net.exprs[node], net)
    children = net.children()
    for node in reversed(net.order[:-1]):
        for child in children[node]:
            name = Name(child, node)
            out[name] = _expression(
                name, QuantityRole.LOCAL, net.forms[(child, node)].simplified, net
            )
        if node not in net.outputs:  # at an output, dC/do is the loss's own derivative
            terms = [(Name(LOSS, c), Name(c, node)) for c in children[node]]
            out[Name(LOSS, node)] = _sum_of_products(Name(LOSS, node), QuantityRole.ADJOINT, terms)
    for param in _output_first(net):
        for z in children[param]:
            name = Name(z, param)
            out[name] = _expression(name, QuantityRole.LOCAL, net.forms[(z, param)].simplified, net)
        terms = [(Name(LOSS, z), Name(z, param)) for z in children[param]]
        gradient = Name(LOSS, param)
        out[gradient] = _sum_of_products(gradient, QuantityRole.GRADIENT, terms)
        updated = Name(param, updated=True)
        out[updated] = Quantity(
            updated, QuantityRole.UPDATE, (gradient,), _stepper(rule, net, param)
        )
    return out


def solution_values(derivation: Derivation, update: Update | None) -> dict[Name, Decimal]:
    """Every quantity's value as the engine computed it (exact, or rounded by hand); with
    no update, the derivation's alone."""
    net = derivation.network
    values = {Name(n): derivation.values[n] for n in (*net.inputs, *net.order)}
    values |= {Name(of, wrt): local.value for (of, wrt), local in derivation.locals.items()}
    values |= {Name(LOSS, n): a.value for n, a in derivation.adjoints.items() if n != LOSS}
    values |= {Name(LOSS, p): g.value for p, g in derivation.gradients.items()}
    if update is not None:
        values |= {Name(p, updated=True): step.after for p, step in update.params.items()}
    return values


def samples_of(network: Network) -> list[int | None]:
    """The sample marks of a network's quantities: None for one sample, else 1 … N."""
    return list(range(1, len(network.samples) + 1)) if network.several else [None]


def batch_quantities(network: Network, rule: OptimizerRule) -> dict[Name, Quantity]:
    """All quantities of a step on several samples: each sample's (h1^(2), dC^(2)/dw5, …),
    then the batch's loss and gradients, their means (C, dC/dw5), and the updates (w5')."""
    if not network.several:
        return quantities(network, rule)
    out: dict[Name, Quantity] = {}
    for k, sample in enumerate(samples_of(network)):
        table = quantities(sample_network(network, k), rule)
        out |= {q.name: q for q in (_of_sample(q, sample) for q in table.values()) if q}
    out[Name(LOSS)] = _mean(Name(LOSS), samples_of(network))
    for param in _output_first(network):
        gradient = Name(LOSS, param)
        out[gradient] = _mean(gradient, samples_of(network))
        updated = Name(param, updated=True)
        out[updated] = Quantity(
            updated, QuantityRole.UPDATE, (gradient,), _stepper(rule, network, param)
        )
    return out


def batch_values(batch: Batch, update: Update) -> dict[Name, Decimal]:
    """Every quantity's value as the engine computed it, each sample's and the batch's."""
    if not batch.network.several:
        return solution_values(batch.samples[0], update)
    values: dict[Name, Decimal] = {}
    for sample, derivation in zip(samples_of(batch.network), batch.samples, strict=True):
        own = solution_values(derivation, None)
        values |= {replace(name, sample=sample): value for name, value in own.items()}
    values[Name(LOSS)] = batch.loss
    values |= {Name(LOSS, p): g for p, g in batch.gradients.items()}
    values |= {Name(p, updated=True): step.after for p, step in update.params.items()}
    return values


def by_hand(network: Network, places: int) -> dict[Name, Decimal]:
    """Every quantity's value when each intermediate is rounded to `places`, as by hand."""
    batch = derive_batch(network, places)
    return batch_values(batch, descend(batch))


def as_written(quantity: Quantity, carried: Values) -> Decimal:
    """What a student who carries the `carried` (hand-rounded) values writes for `quantity`:
    worked from the rounded quantities before it, itself not yet rounded, since a question
    asks its own decimals (σ(z₃) of the carried z₃ is 0.46258, written 0.4626; the carried
    0.463 is what the next line uses)."""
    try:
        return quantity.compute(carried)
    except (ArithmeticError, ValueError):
        return Decimal("NaN")


class _OfSample(Mapping[Name, Decimal]):
    """Sample n's values under the one-sample names its quantities compute from."""

    def __init__(self, values: Values, sample: int | None) -> None:
        self.values, self.sample = values, sample

    def __getitem__(self, name: Name) -> Decimal:
        return self.values[replace(name, sample=self.sample)]

    def __iter__(self) -> Iterator[Name]:
        return iter(replace(name, sample=None) for name in self.values)

    def __len__(self) -> int:
        return len(self.values)


def _of_sample(q: Quantity, sample: int | None) -> Quantity | None:
    """A sample's quantity under its marked name (none for an update: the batch steps)."""
    if q.role is QuantityRole.UPDATE:
        return None
    inputs = tuple(replace(name, sample=sample) for name in q.inputs)
    return Quantity(
        replace(q.name, sample=sample),
        q.role,
        inputs,
        lambda values: q.compute(_OfSample(values, sample)),
    )


def _mean(name: Name, samples: list[int | None]) -> Quantity:
    """The batch's loss or gradient: the mean of the samples' (PyTorch's reduction="mean")."""
    parts = tuple(replace(name, sample=s) for s in samples)

    def compute(values: Values) -> Decimal:
        with exact_context():
            return sum((values[p] for p in parts), Decimal(0)) / len(parts)

    return Quantity(name, QuantityRole.MEAN, parts, compute)


def _stepper(rule: OptimizerRule, net: Network, param: str) -> Callable[[Values], Decimal]:
    """The rule's step of one parameter from a (student's) gradient."""
    before = {param: net.given[param]}
    gradient = Name(LOSS, param)
    return lambda v: rule.apply(before, {param: v[gradient]}).params[param].after


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


def _expression(name: Name, role: QuantityRole, expr: sp.Expr, net: Network) -> Quantity:
    names = {net.symbols[n]: n for n in net.symbols}
    used = sorted((names[s] for s in expr.free_symbols), key=list(net.symbols).index)
    inputs = tuple(n for n in used if n not in net.given)
    given = {net.symbols[n]: net.given[n] for n in used if n in net.given}

    def compute(values: Values) -> Decimal:
        return evaluate(expr, {**given, **{net.symbols[n]: values[Name(n)] for n in inputs}})

    return Quantity(name, role, tuple(map(Name, inputs)), compute)


def _sum_of_products(name: Name, role: QuantityRole, terms: list[tuple[Name, Name]]) -> Quantity:
    inputs = tuple(n for pair in terms for n in pair)
    return Quantity(name, role, inputs, lambda v: sum((v[a] * v[b] for a, b in terms), Decimal(0)))


def compute_all(
    table: dict[Name, Quantity], overrides: Values | None = None, places: int | None = None
) -> dict[Name, Decimal]:
    """Every quantity, in order; an override replaces a quantity's value (a student's number);
    `places` rounds each computed value before it is used, as by hand."""
    overrides = overrides or {}
    values: dict[Name, Decimal] = {}
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
    table: dict[Name, Quantity], changes: dict[Name, Callable[[Values], Decimal]]
) -> dict[Name, Quantity]:
    """The same table with some quantities computed differently (a slip)."""
    return {n: replace(q, compute=changes[n]) if n in changes else q for n, q in table.items()}
