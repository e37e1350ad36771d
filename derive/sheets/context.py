"""What every section of a sheet reads: the shown derivation and update, their numbers
formatted, the words of the language, and a few facts about the network's layout."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

import sympy as sp

from derive.engine.derivation import Derivation
from derive.engine.names import delta_latex, node_label, node_latex, partial_latex
from derive.engine.network import Neuron
from derive.engine.update import Update
from derive.sheets import latex
from derive.sheets.lines import Numbers
from derive.text.locale import fill, strings

T = TypeVar("T")

DETAIL_LIMIT = 6  # neurons or parameters per layer worked in full; the rest go to a table
# a layer with more parameters than this left over lists them in the summary alone (its table
# here would repeat the summary's numbers for pages: a 64-wide layer has 4,000)
LONG_TABLE = 64
DETAILS = ("some", "all")  # --detail: the first DETAIL_LIMIT of each layer in full, or all


class Context:
    def __init__(
        self,
        derivation: Derivation,
        update: Update,
        places: int,
        lang: str,
        detail: str,
        sample: int | None = None,
        loss: Decimal | None = None,
        written: bool = False,
    ) -> None:
        """`derivation` and `update` are the exact ones or their hand-rounded twins (or a
        student's own numbers, `written`); `sample` (of several) marks every node of the
        derivation with its number, h_{1}^{(2)}; `loss` is the one the update starts from
        (several samples: their mean)."""
        self.d, self.u, self.places, self.lang = derivation, update, places, lang
        self.sample = sample
        self.loss = derivation.loss if loss is None else loss
        self.limit = DETAIL_LIMIT if detail == "some" else None
        self.net = derivation.network
        self.words = strings(lang)
        self.num = Numbers(derivation, update, places, written=written)
        self.children = self.net.children()

    @property
    def first(self) -> bool:
        """The one sample, or the first of several: what is said once is said here."""
        return self.sample in (None, 1)

    def tex(self, node: str) -> str:
        return node_latex(node, self.sample)

    def label(self, node: str) -> str:
        return node_label(node, self.sample)

    def partial(self, of: str, wrt: str) -> str:
        return partial_latex(of, wrt, self.sample)

    def delta(self, z: str) -> str:
        return delta_latex(z, self.sample)

    def formula(self, expr: sp.Expr, numbers: dict[sp.Symbol, str] | None = None) -> str:
        return latex.formula(expr, numbers, self.sample)

    def in_full(self, items: Sequence[T]) -> tuple[Sequence[T], Sequence[T]]:
        """The items worked in full, and the rest (shown in a table)."""
        if self.limit is None:
            return items, items[:0]
        return items[: self.limit], items[self.limit :]

    def params_in_full(self, layer: tuple[Neuron, ...]) -> tuple[list[str], list[str]]:
        """A layer's parameters worked in full, and the rest (in a table): as `in_full`, and
        the layer's first bias in full too where its weights fill the worked ones (its
        gradient, δ alone, is worth seeing once)."""
        full, rest = map(list, self.in_full(self.layer_params(layer)))
        biases = [p for p in rest if p in self.net.biases]
        if biases and not any(p in self.net.biases for p in full):
            full.append(biases[0])
            rest.remove(biases[0])
        return full, rest

    def worked_params(self) -> list[str]:
        """Every parameter worked in full, in the network's order."""
        full = {p for layer in self.net.layers for p in self.params_in_full(layer)[0]}
        return [p for p in self.net.params if p in full]

    def layer_title(self, section: str, layer: int) -> str:
        words = self.words[section]
        if layer == len(self.net.layers):
            return words["output_layer"]
        return fill(words["hidden_layer"], index=layer)

    def connects(self, param: str) -> str:
        """'h₁ → o₁' for a weight, 'bias of h₁, h₂' for a bias."""
        for n in self.net.neurons:
            for source, weight in n.terms:
                if weight == param:
                    return f"{node_label(source)} → {node_label(n.a)}"
        users = [n.a for n in self.net.neurons if n.bias == param]
        return fill(self.words["givens"]["bias_of"], neurons=", ".join(map(node_label, users)))

    def layer_params(self, layer: tuple[Neuron, ...]) -> list[str]:
        """A layer's weights in numbering order, then its biases."""
        weights = [w for n in layer for _, w in n.terms]
        biases = list(dict.fromkeys(n.bias for n in layer if n.bias))
        order = {p: k for k, p in enumerate(self.net.params)}
        return sorted(weights, key=order.get) + biases
