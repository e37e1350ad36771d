"""Where the network diagram's nodes, edges and labels go: geometry as plain data.

The template draws it as SVG; nothing here knows SVG or HTML. No label may cover another or
an edge it does not belong to, so each weight label takes its own spot along its edge; a layer
whose weights (and biases) find no such spots, or are too many to read, is drawn unlabelled
and its weights are given as a matrix instead (`Diagram.matrices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from derive.engine.names import node_label
from derive.engine.network import Network
from derive.sheets.labels import PAD, Box, Label, Segment, label, place, text_width

RADIUS = 19.0
MAX_WIDTH = 620.0  # px: the sheet's column (168 mm, 635 px) holds the diagram at its own size
MIN_LABEL_GAP, GAP_STEP, MAX_LABEL_GAP = 150.0, 15.0, 240.0  # between layers with labels
PLAIN_GAP, MIN_GAP = 120.0, 56.0  # between layers without: as wide as the page allows
ROW_GAP, MAX_SPAN = 96.0, 406.0  # between neurons; the tallest column's span at most
MARGIN = 8.0
NOTE_ROOM = 24.0  # above and below the columns: a bias beside its neuron
SHOWN = 8  # a taller layer shows its first SHOWN - 2 neurons, a ⋮ and its last
EDGE_LABEL_LIMIT = 8  # more edges between two layers are too many to label readably
SPOTS = tuple(k / 40 for k in range(8, 33))  # along an edge, from its source: 0.2 … 0.8
LABEL_SIZE, VALUE_SIZE = 11.0, 12.0  # font sizes (px) of weights and biases; of x and y values


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    name: str  # 'x₁'
    kind: str  # input | hidden | output

    @property
    def baseline(self) -> float:
        """Where the name's baseline goes to centre it in the circle (14 px text)."""
        return round(self.y + 5, 1)


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    radius: float
    nodes: tuple[Node, ...]
    edges: tuple[Segment, ...]
    labels: tuple[Label, ...]  # weights, biases, input values, targets, ⋮
    matrices: tuple[int, ...]  # layers (1 = first hidden) whose weights go to a matrix


@dataclass(frozen=True)
class _Frame:
    """The diagram before its weights and biases are labelled."""

    width: float
    height: float
    at: dict[str, tuple[float, float]]  # where each drawn node is
    nodes: tuple[Node, ...]
    fixed: tuple[Label, ...]  # input values, targets, ⋮
    edges: tuple[Segment, ...]
    weights: tuple[tuple[tuple[int, str], ...], ...]  # per layer: (edge index, weight)


def layout(network: Network, number: dict[str, str]) -> Diagram:
    """Layers left to right, neurons top to bottom, centred; `number` formats given values.
    Labelled layer pairs start narrow; one whose labels find no room is widened while the
    diagram fits the page, or else (the densest first) drawn unlabelled. Room left over then
    widens the labelled pairs, if their labels still fit."""
    columns = [list(network.inputs), *[[n.a for n in layer] for layer in network.layers]]
    pairs = list(pairwise(columns))
    edges = [len(a) * len(b) for a, b in pairs]
    gaps: list[float | None] = [MIN_LABEL_GAP if _labelable(*p) else None for p in pairs]
    while True:
        frame = _frame(network, columns, number, gaps)
        failed = [l for l, g in enumerate(gaps) if g] if frame.width > MAX_WIDTH else []
        if not failed:
            placed, failed = _labels(network, number, frame, gaps)
            if not failed:
                break
        wider = [g + GAP_STEP if g and l in failed else g for l, g in enumerate(gaps)]
        if max(wider[l] or 0 for l in failed) > MAX_LABEL_GAP or (
            _frame(network, columns, number, wider).width > MAX_WIDTH
        ):
            gaps[max(failed, key=lambda l: (edges[l], l))] = None
        else:
            gaps = wider
    labelled = [g for g in gaps if g]
    if labelled and frame.width < MAX_WIDTH:
        more = (MAX_WIDTH - frame.width) / len(labelled)
        roomy = _frame(network, columns, number, [g and min(MAX_LABEL_GAP, g + more) for g in gaps])
        spread, failed = _labels(network, number, roomy, gaps)
        if not failed:
            frame, placed = roomy, spread
    matrices = tuple(l + 1 for l, g in enumerate(gaps) if g is None)
    labels = (*frame.fixed, *placed)
    return Diagram(frame.width, frame.height, RADIUS, frame.nodes, frame.edges, labels, matrices)


def _labelable(sources: list[str], targets: list[str]) -> bool:
    small = len(sources) <= SHOWN and len(targets) <= SHOWN
    return small and len(sources) * len(targets) <= EDGE_LABEL_LIMIT


def _shown(column: list[str]) -> list[str | None]:
    """The neurons drawn, None for the ⋮ in a layer too tall to draw whole."""
    if len(column) <= SHOWN:
        return list(column)
    return [*column[: SHOWN - 2], None, column[-1]]


def _frame(
    network: Network, columns: list[list[str]], number: dict[str, str], gaps: list[float | None]
) -> _Frame:
    """Nodes, edges and the texts beside nodes; the unlabelled gaps shrink to fit the page."""
    slots = [_shown(c) for c in columns]
    # several samples: no inputs or targets are given with the network, none are written
    targets = {o: y for o, y in zip(network.outputs, network.targets) if y in number}
    values = {x: number[x] for x in network.inputs if x in number}
    values |= {o: f"{node_label(y)} = {number[y]}" for o, y in targets.items()}
    left, right = MARGIN, RADIUS
    if network.inputs[0] in values:
        left = left + max(text_width(values[x], VALUE_SIZE) for x in slots[0] if x) + 6
    if targets:
        right = right + 8 + max(text_width(values[o], VALUE_SIZE) for o in slots[-1] if o)
    left, right = left + RADIUS, right + MARGIN
    plain = gaps.count(None) * PLAIN_GAP
    room = MAX_WIDTH - left - right - sum(g or 0 for g in gaps)
    narrow = max(MIN_GAP, PLAIN_GAP * min(1.0, room / plain)) if plain else PLAIN_GAP
    widths = [g or narrow for g in gaps]
    rows = max(len(s) for s in slots)
    step = min(ROW_GAP, MAX_SPAN / (rows - 1)) if rows > 1 else ROW_GAP
    top = MARGIN + NOTE_ROOM + RADIUS

    at: dict[str, tuple[float, float]] = {}
    nodes, fixed = [], []
    x = left
    for c, column in enumerate(slots):
        kind = "input" if c == 0 else "output" if c == len(slots) - 1 else "hidden"
        first = top + (rows - len(column)) * step / 2
        for r, node in enumerate(column):
            y = round(first + r * step, 1)
            if node is None:
                fixed.append(label("⋮", "more", x, y, 14.0))
                continue
            at[node] = (round(x, 1), y)
            nodes.append(Node(round(x, 1), y, node_label(node), kind))
            if node not in values:
                continue
            if kind == "input":
                fixed.append(label(values[node], "value", x - RADIUS - 6, y, VALUE_SIZE, "end"))
            elif kind == "output":
                fixed.append(label(values[node], "value", x + RADIUS + 8, y, VALUE_SIZE, "start"))
        x += widths[c] if c < len(widths) else 0

    edges: list[Segment] = []
    weights: list[tuple[tuple[int, str], ...]] = []
    for layer in network.layers:
        drawn = [(s, w, n.a) for n in layer for s, w in n.terms if n.a in at and s in at]
        weights.append(tuple((len(edges) + k, w) for k, (_, w, _) in enumerate(drawn)))
        edges += [(*at[s], *at[a]) for s, _, a in drawn]
    width = round(left + sum(widths) + right, 1)
    height = round(2 * top + (rows - 1) * step, 1)
    return _Frame(width, height, at, tuple(nodes), tuple(fixed), tuple(edges), tuple(weights))


def _labels(
    network: Network, number: dict[str, str], frame: _Frame, gaps: list[float | None]
) -> tuple[list[Label], list[int]]:
    """The weight and bias labels of every labelled layer, and the layers that found no room."""
    taken = [_circle(*xy) for xy in frame.at.values()] + [f.box for f in frame.fixed]
    placed: list[Label] = []
    failed = []
    for l, layer in enumerate(network.layers):
        if gaps[l] is None:
            continue
        wanted = [
            _along(frame.edges[k], k, f"{node_label(w)} = {number[w]}") for k, w in frame.weights[l]
        ]
        wanted += [
            _beside(frame.at[n.a], f"{node_label(n.bias)} = {number[n.bias]}")
            for n in layer
            if n.bias
        ]
        inside = (0.0, 0.0, frame.width, frame.height)
        found = place(wanted, frame.edges, taken + [p.box for p in placed], inside)
        if found is None:
            failed.append(l)
        else:
            placed += found
    return placed, failed


def _circle(x: float, y: float) -> Box:
    return (x - RADIUS - PAD, y - RADIUS - PAD, x + RADIUS + PAD, y + RADIUS + PAD)


def _along(edge: Segment, index: int, text: str) -> list[Label]:
    """A weight's candidate spots on its edge, centred on the line."""
    x1, y1, x2, y2 = edge
    spots = sorted(SPOTS, key=lambda t: (abs(t - 0.45), t))
    return [
        label(text, "weight", x1 + t * (x2 - x1), y1 + t * (y2 - y1), LABEL_SIZE, edge=index)
        for t in spots
    ]


def _beside(at: tuple[float, float], text: str) -> list[Label]:
    """A bias's candidate spots: under its neuron, then above it, centred or to a side."""
    x, y = at
    half = text_width(text, LABEL_SIZE) / 2 + PAD
    dy = RADIUS + 3 + 0.55 * LABEL_SIZE + PAD
    return [
        label(text, "bias", x + dx, y + side * dy, LABEL_SIZE)
        for side in (1, -1)
        for dx in (0.0, half, -half)
    ]
