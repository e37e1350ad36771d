"""The training sheet's second half: the optimizers compared over a longer run (float64),
a two-input network's decision boundary, and the guide, each written from the checking
helper's data (derive.verify.training_result)."""

from __future__ import annotations

import math

from derive.engine.names import node_label, node_latex
from derive.sheets import numbers
from derive.sheets.document import Chart, Group, Paragraph, Section, Table
from derive.sheets.locale import fill, paragraph, strings
from derive.verify.training_result import Boundary, Comparison

XOR = {(0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0)}


class Compared:
    """The sections that read the comparison, in one language."""

    def __init__(self, lang: str, comparison: Comparison) -> None:
        self.lang, self.data = lang, comparison
        self.words = strings(lang)["train"]
        self.all = strings(lang)

    def comparison(self) -> Section:
        w = self.words
        a, b = self.data.pair
        losses = Chart(
            "losses", self.data, {"x": w["x_step"], "y": w["y_loss"]}, w["losses_caption"]
        )
        paths = Chart(
            "paths",
            self.data,
            {"x": f"${node_latex(a)}$", "y": f"${node_latex(b)}$"},
            fill(w["paths_caption"], a=node_label(a), b=node_label(b), steps=self.data.steps),
        )
        order = _ranked(self.data)
        ranked = ", ".join(fill(w["ranking_item"], name=n, loss=self._final(n)) for n in order)
        blocks = (
            paragraph(w["comparison_note"], steps=self.data.steps),
            losses,
            Paragraph((("text", fill(w["ranking"], steps=self.data.steps, list=ranked)),)),
            paths,
        )
        return Section("comparison", w["comparison"], blocks, new_page=True)

    def boundary(self, boundary: Boundary) -> Section:
        w = self.words
        name = self.all["guide"][boundary.optimizer]["name"]
        key = "boundary_note" if boundary.separated else "boundary_not"
        labels = {"before": w["before"], "after": fill(w["after"], steps=boundary.steps)}
        blocks: list = [
            paragraph(w[key], name=name, steps=boundary.steps),
            Chart("boundary", boundary, labels, w["boundary_caption"]),
            paragraph(w["boundary_line"]),
        ]
        if set(boundary.samples) == XOR:
            blocks.append(paragraph(w["boundary_xor"]))
        return Section("boundary", w["boundary"], tuple(blocks))

    def guide(self) -> Section:
        w, guide = self.words, self.all["guide"]
        final = self.data.losses
        order = _ranked(self.data)
        blocks: list = [paragraph(w["guide_note"])]
        for name in final:
            entry = guide[name]
            rank = order.index(name) + 1
            where = str(rank)
            items = [
                Paragraph((("text", w["strengths"] + ": " + " ".join(entry["strengths"])),)),
                Paragraph((("text", w["weaknesses"] + ": " + " ".join(entry["weaknesses"])),)),
                Paragraph((("text", w["when"] + ": " + entry["when"]),)),
                Paragraph((("text", self._on_this(name, where)),)),
            ]
            blocks.append(Group(entry["name"], tuple(items)))
        sources = tuple((s,) for s in self.all["guide_sources"]["items"])
        blocks.append(Group(w["sources"], (Table(("",), sources, style="facts"),)))
        return Section("guide", w["guide"], tuple(blocks), new_page=True)

    def _on_this(self, name: str, rank: str) -> str:
        w = self.words
        if _diverged(self.data, name):
            return fill(w["on_this_diverged"], step=len(self.data.losses[name]))
        loss = sig(self.data.losses[name][-1], 4)
        count = len(self.data.losses)
        return fill(w["on_this"], steps=self.data.steps, loss=loss, rank=rank, count=count)

    def _final(self, name: str) -> str:
        """An optimizer's loss after the comparison's steps, or where its run diverged."""
        if _diverged(self.data, name):
            return fill(self.words["diverged"], step=len(self.data.losses[name]))
        return sig(self.data.losses[name][-1], 4)


def _diverged(comparison: Comparison, name: str) -> bool:
    return len(comparison.losses[name]) < comparison.steps + 1


def _ranked(comparison: Comparison) -> list[str]:
    """Lowest final loss first; optimizers whose float64 run diverged last, earliest worst."""
    losses = comparison.losses
    return sorted(losses, key=lambda n: (_diverged(comparison, n), -len(losses[n]), losses[n][-1]))


def sig(value: float, digits: int = 10) -> str:
    """A float at `digits` significant digits, trailing zeros kept, a real minus sign (NaN,
    as torch.optim may compute, as its name)."""
    if math.isnan(value):
        return "NaN"
    return f"{value:.{digits}g}".replace("-", numbers.MINUS) if value else "0"
