"""Charts as inline SVG, drawn with matplotlib from a document's plain data: the loss of every
optimizer against the step, the paths of two parameters over the loss's contour, and a
decision boundary before and after training.

Byte-identical across runs and processes: a fixed svg.hashsalt (the ids of clip paths), no
date in the metadata, text drawn as paths (DejaVu Sans, Hangul in NanumGothic), no random state.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import warnings
from importlib import resources
from typing import Any

from derive.engine.optimizers import OPTIMIZERS
from derive.sheets.document import Chart
from derive.text.numbers import MINUS, SUPERSCRIPT
from derive.typeset.flat_svg import flattened
from derive.workers import CHARTS, Answer, Workers

WIDTH_IN = 6.3  # inches: the text column's width
MARK_EVERY = 10  # steps between a path's markers
TARGET_COLORS = ("#1f3a93", "#d62828")  # target 0, target 1
CONTOUR_LEVELS = 10
LEGEND_GAP_IN = 0.5  # from the axes down to the legend: room for the ticks and the label


@functools.cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import font_manager

    font = resources.files("derive").joinpath("fonts/NanumGothic.ttf")
    font_manager.fontManager.addfont(str(font))
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "derive",
            "svg.fonttype": "path",
            # DejaVu Sans (one font for every digit, sub- and superscript: NanumGothic has ¹²³
            # but no ⁰⁴…⁹, and its ₁ is tiny); Hangul from NanumGothic, the fallback;
            # plain text, several times faster to lay out than mathtext
            "font.family": ["DejaVu Sans", "NanumGothic"],
            "font.size": 9,
            "mathtext.fontset": "dejavusans",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    import matplotlib.pyplot as plt

    return plt, matplotlib.ticker


def _labelled(figure: Any, axes: Any, chart: Chart) -> Any:
    axes.set_xlabel(chart.labels["x"])
    axes.set_ylabel(chart.labels["y"])
    # below the axes and their label, never over a curve
    count = len(axes.get_legend_handles_labels()[0])
    below = LEGEND_GAP_IN / axes.get_position().height / figure.get_figheight()
    axes.legend(ncols=count, fontsize=7.5, frameon=False, loc="upper center", handlelength=1.8,
                handletextpad=0.4, columnspacing=1.0, bbox_to_anchor=(0.5, -below))  # fmt: skip
    return figure


def _line(axes: Any, name: str, xs: list, ys: list, label: str) -> None:
    color, dash, marker = OPTIMIZERS[name].style
    axes.plot(xs, ys, label=label, color=color, linestyle=dash, linewidth=1.4, marker=marker,
              markevery=MARK_EVERY, markersize=4.5, markerfacecolor="white",
              markeredgecolor=color, markeredgewidth=1.0)  # fmt: skip


def _losses(chart: Chart, plt: Any, ticker: Any) -> Any:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 2.0))
    positive = False
    for name, losses in chart.data.losses.items():
        shown = [c if c > 0 else math.nan for c in losses]  # a loss of exactly 0 has no log
        positive = positive or any(c > 0 for c in losses)
        _line(axes, name, list(range(len(losses))), shown, chart.labels.get(name, name))
    if positive:
        axes.set_yscale("log")
        # 0.01 as such, 10⁻⁷ (not matplotlib's mathtext: slow)
        axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: _number(value)))
        axes.yaxis.set_minor_formatter(ticker.NullFormatter())
    return _labelled(figure, axes, chart)


def _number(value: float) -> str:
    """A tick or contour label: 0.25, 0.004, and 10⁻⁷ or 1.5×10⁻¹⁶ when small."""
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"{value:g}".replace("-", MINUS)
    mantissa, exponent = f"{value:.1e}".split("e")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
    mantissa = mantissa.rstrip("0").rstrip(".").replace("-", MINUS)
    return power if mantissa == "1" else f"{mantissa}×{power}"


def _levels(surface: list[list[float]], along: list[float]) -> list[float]:
    """Contour levels from the lowest loss along the paths to the highest on the plane:
    evenly spaced, or on a log scale when they span more than a factor of ten; each rounded
    to two significant digits so that its label reads at a glance."""
    values = [v for row in surface for v in row if math.isfinite(v)]
    low = min([c for c in along if c > 0] or [v for v in values if v > 0] or [0.0])
    high = max(values, default=0.0)
    if not 0 < low < high:
        return []
    if high / low > 10:
        ratio = (high / low) ** (1 / (CONTOUR_LEVELS + 1))
        raw = [low * ratio**k for k in range(1, CONTOUR_LEVELS + 1)]
    else:
        raw = [low + (high - low) * k / (CONTOUR_LEVELS + 1) for k in range(1, CONTOUR_LEVELS + 1)]
    return sorted({float(f"{v:.2g}") for v in raw})


def _paths(chart: Chart, plt: Any, ticker: Any) -> Any:
    plane = chart.data.plane
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 2.4))
    along = [c for losses in chart.data.losses.values() for c in losses]
    levels = _levels(plane.grid_loss, along)
    if levels:
        contour = axes.contour(plane.grid_p, plane.grid_q, plane.grid_loss, levels=levels,
                               colors="#8a96a3", linewidths=0.6)  # fmt: skip
        axes.clabel(contour, fontsize=8, fmt=_number, inline_spacing=2)
    for name, path in plane.paths.items():
        _line(axes, name, [p for p, _ in path], [q for _, q in path], chart.labels[name])
    axes.plot([0], [0], "o", color="black", markersize=5, label=chart.labels["start"], zorder=5)
    return _labelled(figure, axes, chart)


def _boundary(chart: Chart, plt: Any, ticker: Any) -> Any:
    data = chart.data
    figure, panels = plt.subplots(1, 2, figsize=(WIDTH_IN, 2.4), sharey=True)
    titles = (chart.labels["before"], chart.labels["after"])
    for axes, outputs, title in zip(panels, (data.before, data.after), titles, strict=True):
        axes.contourf(
            data.grid_x, data.grid_y, outputs, levels=[0, 0.5, 1], colors=["#dbe4f3", "#f6d5d5"]
        )
        axes.contour(
            data.grid_x, data.grid_y, outputs, levels=[0.5], colors="black", linewidths=1.2
        )
        for x1, x2, target in data.samples:
            color = TARGET_COLORS[target > 0.5]
            axes.plot([x1], [x2], "o", color=color, markersize=7, markeredgecolor="black")
        axes.set_title(title, fontsize=9)
        axes.set_xlabel("$x_1$", fontsize=11)
        axes.set_aspect("equal")
    panels[0].set_ylabel("$x_2$", fontsize=11)
    return figure


DRAW = {"losses": _losses, "paths": _paths, "boundary": _boundary}


def drawn_svg(chart: Chart) -> bytes:
    """The chart as matplotlib writes it, as wide as the text column."""
    plt, ticker = _pyplot()
    with warnings.catch_warnings():  # matplotlib's notes (a flat contour, …) are not the user's
        warnings.simplefilter("ignore")
        figure = DRAW[chart.plot](chart, plt, ticker)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(
            out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
        )
    plt.close(figure)
    return out.getvalue()


def chart_svg(chart: Chart) -> str:
    """The chart as an <img> of an SVG data: URI (its <use> references drawn in place, as
    WeasyPrint draws them faster). An image, not inline SVG: each chart keeps its own element
    ids, and its styles stay out of the page's."""
    data = base64.b64encode(flattened(drawn_svg(chart))).decode("ascii")
    return f'<img class="chart" alt="" src="data:image/svg+xml;base64,{data}">'


def _key(chart: Chart) -> tuple:
    return (chart.plot, id(chart.data), tuple(sorted(chart.labels.items())))


def import_pyplot() -> None:
    """A chart worker's preparation: matplotlib's import, before its first chart."""
    _pyplot()


class ChartDrawer:
    """Draws each chart once per renderer (an HTML and a PDF page show the same SVG), on the
    chart lane's workers: a sheet's charts are drawn side by side, while the PDF waits for
    them. The cache holds the data each was drawn from, so a key's id is never reused while
    cached."""

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self._drawn: dict[tuple, tuple[Any, Answer[str]]] = {}

    def start(self, charts: list[Chart]) -> None:
        """Begin drawing `charts`."""
        for chart in charts:
            key = _key(chart)
            if key not in self._drawn:
                self._drawn[key] = (chart.data, self.workers.submit(CHARTS, chart_svg, chart))

    def svg(self, chart: Chart) -> str:
        self.start([chart])
        return self._drawn[_key(chart)][1]()
