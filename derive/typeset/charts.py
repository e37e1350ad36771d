"""Charts as inline SVG, drawn with matplotlib from a document's plain data: the loss of every
optimizer against the step, the paths of two parameters over the loss's contour, and a
decision boundary before and after training.

Byte-identical across runs and processes: a fixed svg.hashsalt (the ids of clip paths), no
date in the metadata, text drawn as paths in NanumGothic (Hangul included), no random state.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import warnings
from collections.abc import Callable
from importlib import resources
from typing import Any

from derive.background import Service
from derive.sheets.document import Chart

WIDTH_IN = 6.3  # inches: the text column's width
COLORS = {  # far apart in hue and lightness, each with its own dash: lines that coincide
    "sgd": ("#1f77b4", "-"),
    "momentum": ("#2ca02c", "--"),
    "nesterov": ("#17becf", ":"),
    "adagrad": ("#ff7f0e", "-."),
    "rmsprop": ("#8c564b", (0, (5, 1, 1, 1, 1, 1))),
    "adam": ("#d62728", "-"),
    "adamw": ("#9467bd", (0, (3, 1))),
}
TARGET_COLORS = ("#1f3a93", "#d62828")  # target 0, target 1


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
            "font.family": "NanumGothic",
            "font.size": 9,
            "axes.unicode_minus": False,  # NanumGothic has no U+2212
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
    # below the axes, never over a curve
    axes.legend(ncols=7, fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return figure


def _losses(chart: Chart, plt: Any, ticker: Any) -> Any:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 3.0))
    positive = False
    for name, losses in chart.data.losses.items():
        shown = [c if c > 0 else math.nan for c in losses]  # a loss of exactly 0 has no log
        positive = positive or any(c > 0 for c in losses)
        color, dash = COLORS[name]
        axes.plot(range(len(losses)), shown, label=name, color=color, linestyle=dash, linewidth=1.5)
    if positive:
        axes.set_yscale("log")
        # plain numbers (0.01, 1e-05): the log axis' own 10^k labels are mathtext with U+2212
        axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(ticker.NullFormatter())
    return _labelled(figure, axes, chart)


def _paths(chart: Chart, plt: Any, ticker: Any) -> Any:
    data = chart.data
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 4.2))
    contour = axes.contour(data.grid_x, data.grid_y, data.grid_loss, levels=14, colors="#9aa5b1",
                           linewidths=0.6)  # fmt: skip
    axes.clabel(contour, fontsize=6, fmt="%.3g")
    for name, path in data.paths.items():
        xs, ys = [p[0] for p in path], [p[1] for p in path]
        color, dash = COLORS[name]
        axes.plot(xs, ys, color=color, linestyle=dash, linewidth=1.4, label=name)
    start = data.paths[next(iter(data.paths))][0]
    axes.plot([start[0]], [start[1]], "ko", markersize=4)
    return _labelled(figure, axes, chart)


def _boundary(chart: Chart, plt: Any, ticker: Any) -> Any:
    data = chart.data
    figure, panels = plt.subplots(1, 2, figsize=(WIDTH_IN, 3.0), sharey=True)
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


def chart_svg(chart: Chart) -> str:
    """The chart as an <img> of an SVG data: URI, as wide as the text column. An image, not
    inline SVG: each chart keeps its own element ids, and its styles stay out of the page's."""
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
    data = base64.b64encode(out.getvalue()).decode("ascii")
    return f'<img class="chart" alt="" src="data:image/svg+xml;base64,{data}">'


def _key(chart: Chart) -> tuple:
    return (chart.plot, id(chart.data), tuple(sorted(chart.labels.items())))


def _prepare() -> None:
    _pyplot()


class ChartDrawer:
    """Draws each chart once per renderer (an HTML and a PDF page show the same SVG); the
    cache holds the data it was drawn from, so a key's id is never reused while cached.
    After prepare(), a helper process imports matplotlib at once and draws the charts."""

    def __init__(self) -> None:
        self._drawn: dict[tuple, tuple[Any, Callable[[], str]]] = {}
        self._service: Service[Chart, str] | None = None

    def prepare(self) -> None:
        if self._service is None:
            self._service = Service(_prepare, chart_svg, nice=5)

    def start(self, charts: list[Chart]) -> None:
        """Begin drawing `charts` (in the helper, when prepared)."""
        for chart in charts:
            key = _key(chart)
            if key not in self._drawn:
                drawn = (
                    self._service.ask(chart)
                    if self._service
                    else functools.partial(chart_svg, chart)
                )
                self._drawn[key] = (chart.data, functools.cache(drawn))

    def svg(self, chart: Chart) -> str:
        self.start([chart])
        return self._drawn[_key(chart)][1]()
