"""A student's worked solution as their own numbers give it: each claim as written, every other
quantity computed from the claims (the checker's error carried forward, written out).

A feedback sheet shows an accepted or carried claim's line this way, beside the true one, so
that a line never contradicts its verdict: with the student's o₁ = 0.646, C = (1.0 − 0.646)²
= 0.125 is what they wrote, while the exact C is 0.126.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal

from derive.engine.batch import Batch
from derive.engine.derivation import Derivation
from derive.engine.exact import exact_context
from derive.engine.names import LOSS, Name
from derive.engine.quantities import batch_quantities, compute_all, samples_of
from derive.engine.update import ParameterStep, Update
from derive.sheets.builder import DocumentBuilder
from derive.sheets.document import Formula


class OwnNumbers:
    """The worked lines of a student's own numbers, for one set of claims."""

    def __init__(
        self, worked: Batch, update: Update, claims: Mapping[Name, Decimal], lang: str
    ) -> None:
        net = worked.network
        values = compute_all(batch_quantities(net, update.rule), claims)
        samples = zip(worked.samples, samples_of(net), strict=True)
        self.batch = Batch(tuple(_own_derivation(d, values, s) for d, s in samples))
        steps = {p: _own_step(step, values) for p, step in update.params.items()}
        self.update = dataclasses.replace(update, params=steps)
        self.lang = lang
        self.builders: dict[int, DocumentBuilder] = {}

    def worked(self, name: Name, written: Decimal) -> tuple[Formula, ...]:
        """`name`'s line with the student's numbers, its result to the digits they wrote."""
        return self._builder(digits(written)).worked(name)

    def _builder(self, places: int) -> DocumentBuilder:
        if places not in self.builders:
            self.builders[places] = DocumentBuilder(
                self.batch, self.update, self.lang, places, "exact", written=True
            )
        return self.builders[places]


def digits(written: Decimal) -> int:
    """The sheet's `places` that print a value to the digits of `written`: its decimals, or
    its significant digits for a small one (−0.0996: 3)."""
    decimals = max(0, -written.as_tuple().exponent)
    if not written or written.adjusted() >= -1:
        return max(1, decimals)
    return max(1, decimals + written.adjusted() + 1)


def _own_derivation(
    d: Derivation, values: Mapping[Name, Decimal], sample: int | None
) -> Derivation:
    def own(name: Name) -> Decimal:
        return values[dataclasses.replace(name, sample=sample)]

    net = d.network
    nodes = {**d.values, **{n: own(Name(n)) for n in net.order}}
    locals_ = {
        key: dataclasses.replace(
            local,
            value=own(Name(*key)),
            substitution={n: nodes[n] for n in local.substitution},
        )
        for key, local in d.locals.items()
    }
    adjoints = {
        n: a if n == LOSS else dataclasses.replace(a, value=own(Name(LOSS, n)))
        for n, a in d.adjoints.items()
    }
    gradients = {
        p: dataclasses.replace(g, value=own(Name(LOSS, p))) for p, g in d.gradients.items()
    }
    return dataclasses.replace(
        d, values=nodes, near={}, locals=locals_, adjoints=adjoints, gradients=gradients
    )


def _own_step(step: ParameterStep, values: Mapping[Name, Decimal]) -> ParameterStep:
    gradient, after = values[Name(LOSS, step.param)], values[Name(step.param, updated=True)]
    with exact_context():
        change = step.before - after
    return dataclasses.replace(step, gradient=gradient, change=change, after=after)
