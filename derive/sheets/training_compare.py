"""The training sheet's second half: the optimizers compared over a longer run (float64),
each at the learning rate of a stated grid that suits it best, their paths on the plane that
holds them, a two-input network's decision boundary, and the guide, each written from the
checking helper's data (derive.verify.training_result)."""

from __future__ import annotations

from decimal import Decimal

from derive.engine.names import node_label
from derive.sheets.context import LONG_TABLE
from derive.sheets.document import Chart, Group, Paragraph, Section, Table, paragraph
from derive.text import numbers
from derive.text.locale import fill, optimizer_name, strings
from derive.verify.training_result import Boundary, Comparison

XOR = {(0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0)}
PLACES = 3  # a loss of the comparison: 3 decimals, small ones 3 significant digits
PLANE_ROWS = 24  # a plane of many parameters: its largest components


class Compared:
    """The sections that read the comparison, in one language."""

    def __init__(self, lang: str, comparison: Comparison) -> None:
        self.lang, self.data = lang, comparison
        self.words = strings(lang)["train"]
        self.all = strings(lang)
        self.several = len(comparison.trials) > 1

    def comparison(self) -> Section:
        w, data = self.words, self.data
        grid = ", ".join(numbers.given_text(r) for r in data.grid)
        note = "comparison_note" if self.several else "comparison_note_one"
        rates = fill(w["rates"], grid=grid, worked=numbers.given_text(data.worked_rate))
        legend = {
            n: optimizer_name(self.lang, n) for n in data.chosen
        }  # each at its rate: the table says which
        caption = w["losses_caption" if self.several else "losses_caption_one"]
        losses = Chart("losses", data, {"x": w["x_step"], "y": w["y_loss"], **legend}, caption)
        blocks: list = [
            Group("", (paragraph(w[note], steps=data.steps, rates=rates),)),
            Group(fill(w["ranking_title"], steps=data.steps), self._ranking(), breakable=True),
            losses,
            *self._plane(legend),
        ]
        key = "comparison" if self.several else "comparison_one"
        heading = fill(
            w[key], steps=data.steps, name=optimizer_name(self.lang, next(iter(data.trials)))
        )
        return Section("comparison", heading, tuple(blocks))

    def _ranking(self) -> tuple:
        """One row per optimizer, best first: its loss after the steps at every rate, the
        lowest marked (the rate it is shown at)."""
        w, data = self.words, self.data
        order = _ranked(data)
        rates = [
            fill(w["col_rate_worked"] if r == data.worked_rate else w["col_rate"], rate=_rate(r))
            for r in data.rates
        ]
        header = ((w["col_rank"],) if self.several else ()) + (w["col_optimizer"], *rates)
        rows = []
        for rank, name in enumerate(order, 1):
            cells = [
                self._final(name, r) + (" *" if r == data.chosen[name] else "") for r in data.rates
            ]
            rows.append(
                ((str(rank),) if self.several else ()) + (optimizer_name(self.lang, name), *cells)
            )
        key = "ranking_note" if self.several else "ranking_note_one"
        return (paragraph(w[key], steps=data.steps), Table(header, tuple(rows)))

    def _plane(self, legend: dict[str, str]) -> list:
        w, plane = self.words, self.data.plane
        d1, d2 = plane.directions
        components = list(zip(plane.names, d1, d2, strict=True))
        largest = ""
        if len(components) > LONG_TABLE:  # the components that shape the plane, in order
            kept = sorted(components, key=lambda c: -max(abs(c[1]), abs(c[2])))[:PLANE_ROWS]
            components = [c for c in components if c in kept]
            largest = " " + fill(w["plane_largest"], shown=PLANE_ROWS, count=len(plane.names))
        rows = tuple((node_label(n), _signed(a), _signed(b)) for n, a, b in components)
        table = Table((w["col_param"], "d₁", "d₂"), rows, columns=2 if len(rows) > 12 else 1)
        said = (
            fill(
                w["plane_note" if self.several else "plane_note_one"],
                held=_percent(plane.held),
                off=numbers.text(_decimal(plane.off_plane), PLACES),
                gap=numbers.text(_decimal(plane.gap), PLACES),
            )
            + largest
        )
        labels = {"x": w["x_plane"], "y": w["y_plane"], "start": w["start_point"], **legend}
        caption = fill(w["paths_caption"], steps=self.data.steps)
        return [
            Group(w["plane_title"], (paragraph(said),)),
            Chart("paths", self.data, labels, caption),
            Group("", (paragraph(w["directions"]), table), breakable=True),
        ]

    def boundary(self, boundary: Boundary) -> Section:
        w = self.words
        key = "boundary_note" if boundary.separated else "boundary_not"
        labels = {"before": w["before"], "after": fill(w["after"], steps=boundary.steps)}
        blocks: list = [
            paragraph(
                w[key], name=optimizer_name(self.lang, boundary.optimizer), steps=boundary.steps
            ),
            Chart("boundary", boundary, labels, w["boundary_caption"]),
            paragraph(w["boundary_line"]),
        ]
        if set(boundary.samples) == XOR:
            blocks.append(paragraph(w["boundary_xor"]))
        return Section("boundary", w["boundary"], tuple(blocks))

    def guide(self) -> Section:
        w, guide = self.words, self.all["guide"]
        order = _ranked(self.data)
        blocks: list = [Group("", (paragraph(w["guide_note"]),))]
        for name in self.data.trials:
            entry = guide[name]
            items = [
                Paragraph((("text", w["strengths"] + ": " + " ".join(entry["strengths"])),)),
                Paragraph((("text", w["weaknesses"] + ": " + " ".join(entry["weaknesses"])),)),
                Paragraph((("text", w["when"] + ": " + entry["when"]),)),
                Paragraph((("text", self._on_this(name, order.index(name) + 1)),)),
            ]
            blocks.append(Group(entry["name"], tuple(items), breakable=True))
        sources = tuple((s,) for s in self.all["guide_sources"]["items"])
        blocks.append(Group(w["sources"], (Table(("",), sources, style="facts"),), breakable=True))
        return Section("guide", w["guide"], tuple(blocks))

    def _on_this(self, name: str, rank: int) -> str:
        w, data = self.words, self.data
        rate = _rate(data.chosen[name])
        trial = data.trial(name, data.chosen[name])
        if not trial.finished(data.steps):
            return fill(w["on_this_diverged"], rate=rate, step=len(trial.losses))
        loss = self._final(name, data.chosen[name])
        key = "on_this" if self.several else "on_this_one"
        count = len(data.trials)
        return fill(w[key], steps=data.steps, rate=rate, loss=loss, rank=rank, count=count)

    def _final(self, name: str, rate: Decimal) -> str:
        """An optimizer's loss after the comparison's steps at `rate`, or where it diverged."""
        trial = self.data.trial(name, rate)
        if not trial.finished(self.data.steps):
            return fill(self.words["diverged"], step=len(trial.losses))
        return numbers.text(_decimal(trial.losses[-1]), PLACES)


def _ranked(comparison: Comparison) -> list[str]:
    """Lowest final loss at its chosen rate first; runs that diverged at every rate last,
    the earliest worst."""
    steps = comparison.steps

    def key(name: str) -> tuple:
        losses = comparison.trial(name, comparison.chosen[name]).losses
        return (len(losses) < steps + 1, -len(losses), losses[-1])

    return sorted(comparison.trials, key=key)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _rate(rate: Decimal) -> str:
    return numbers.given_text(rate)


def _signed(value: float) -> str:
    """A direction's component to 3 decimals (−0.000 as 0.000)."""
    shown = f"{value:.3f}"
    return "0.000" if shown == "-0.000" else shown.replace("-", numbers.MINUS)


def _percent(share: float) -> str:
    """A share as a percentage: 99.99 %, never 100 % unless it is whole."""
    shown = f"{share * 100:.2f}"
    if shown == "100.00" and share < 1:
        shown = "99.99"
    return shown
