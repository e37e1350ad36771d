"""What a set asks: the same kinds of quantity for every student, each with its exact answer,
the answer carrying hand-rounded values gives, and the tolerance of full credit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from derive.engine.batch import Batch
from derive.engine.derivation import Derivation, derive
from derive.engine.exact import MAX_UPDATE_DECIMALS, round_fixed
from derive.engine.names import LOSS, Name
from derive.engine.network import Network
from derive.engine.quantities import as_written, quantities, solution_values
from derive.engine.training import descend


class QuestionKind(StrEnum):
    """What a question asks (`--ask`, a set's "ask" and each question's "kind" in its JSON)."""

    FORWARD = "forward"  # a hidden activation and an output
    LOSS = "loss"
    OUTPUT_GRADIENT = "output_gradient"  # the gradient of an output-layer weight
    HIDDEN_GRADIENT = "hidden_gradient"  # and of a first-layer weight
    UPDATE = "update"  # that output-layer weight after the step


KINDS = tuple(QuestionKind)  # in the order a worked solution meets them


@dataclass(frozen=True)
class Question:
    name: Name
    kind: QuestionKind
    answer: Decimal  # exact
    rounded: Decimal  # what carrying values rounded to the precision gives, before it is
    # itself rounded to the asked decimals (as_written)
    decimals: int  # asked for: the same for every question of a drawn set (asked_decimals)

    @property
    def tolerance(self) -> Decimal:
        """Full credit within half a unit of the last asked digit, around `answer` and
        around `rounded`."""
        return Decimal(5).scaleb(-(self.decimals + 1))

    @property
    def shown(self) -> Decimal:
        """The answer to the asked decimals."""
        return round_fixed(self.answer, self.decimals)


def asked_names(network: Network, kinds: Sequence[QuestionKind]) -> list[tuple[QuestionKind, Name]]:
    """(kind, name) of each question, in the order a worked solution meets them."""
    net = network
    output_weight = net.layers[-1][0].terms[0][1]
    first_weight = net.layers[0][0].terms[0][1]
    deep = len(net.layers) > 1
    by_kind = {
        QuestionKind.FORWARD: ([Name(net.layers[0][0].a)] if deep else []) + [Name(net.outputs[0])],
        QuestionKind.LOSS: [Name(LOSS)],
        QuestionKind.OUTPUT_GRADIENT: [Name(LOSS, output_weight)],
        QuestionKind.HIDDEN_GRADIENT: [Name(LOSS, first_weight)] if deep else [],
        QuestionKind.UPDATE: [Name(output_weight, updated=True)],
    }
    return [(kind, name) for kind in KINDS if kind in kinds for name in by_kind[kind]]


def questions(
    derivation: Derivation, precision: int, kinds: Sequence[QuestionKind]
) -> tuple[Question, ...]:
    update = descend(Batch((derivation,)))
    exact = solution_values(derivation, update)
    twin = derive(derivation.network, precision)
    carried = solution_values(twin, descend(Batch((twin,))))
    table = quantities(derivation.network, update.rule)
    out = []
    for kind, name in asked_names(derivation.network, kinds):
        value = exact[name]
        step = update.params[name.of].change if name.updated else None
        decimals = asked_decimals(value, precision, step)
        by_hand = as_written(table[name], carried)
        out.append(Question(name, kind, value, by_hand, decimals))
    return tuple(out)


def asked_decimals(value: Decimal, precision: int, step: Decimal | None = None) -> int:
    """One more decimal than the worked solution carries (∂C/∂w₅ = 0.0927 is asked to 4
    decimals, not 0.093); three significant digits of a smaller value, and an updated
    weight's `step` visible. A drawn set asks no value under 10 units of 10^-precision (the
    generator's rule) and its steps are η·g ≥ 0.1·that, so every question of every variant
    asks precision + 1 decimals: the decimals give nothing of an answer's size away."""
    decimals = max(precision + 1, 2 - value.adjusted()) if value else precision + 1
    if step:
        decimals = max(decimals, min(-step.adjusted(), precision + MAX_UPDATE_DECIMALS))
    return decimals
