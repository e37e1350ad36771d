"""Where the network diagram's nodes, edges and labels go: geometry as plain data.

The template draws it as SVG; nothing here knows SVG or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.engine.names import node_label
from derive.engine.network import Network

LAYER_GAP = 190.0
ROW_GAP = 86.0
RADIUS = 19.0
MARGIN = 34.0
EDGE_LABEL_LIMIT = 12  # more edges than this between two layers: weights go to the table only
LABEL_AT = 0.3  # where an edge's label sits, as a fraction of the way from its source


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    name: str  # 'x₁'
    value: str  # inputs: the value; outputs: the target, 'y₁ = 1.0'; hidden: ''

    kind: str  # input | hidden | output


@dataclass(frozen=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    text: str  # 'w₁ = 0.7', '' when the layer is too dense to label
    tx: float
    ty: float


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    radius: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[tuple[float, float, str], ...]  # bias labels: x, y, text


def layout(network: Network, number: dict[str, str]) -> Diagram:
    """Place layers left to right, neurons top to bottom, centred; `number` formats values."""
    columns = [network.inputs, *[[n.a for n in layer] for layer in network.layers]]
    tallest = max(len(c) for c in columns)
    height = 2 * MARGIN + (tallest - 1) * ROW_GAP + 40
    width = 2 * MARGIN + (len(columns) - 1) * LAYER_GAP + 130  # room for the targets
    at: dict[str, tuple[float, float]] = {}
    nodes = []
    targets = dict(zip(network.outputs, network.targets))
    for c, column in enumerate(columns):
        top = (height - (len(column) - 1) * ROW_GAP) / 2 - 10
        kind = "input" if c == 0 else "output" if c == len(columns) - 1 else "hidden"
        for r, node in enumerate(column):
            x, y = MARGIN + 30 + c * LAYER_GAP, top + r * ROW_GAP
            at[node] = (x, y)
            if kind == "input":
                value = number[node]
            elif kind == "output":
                value = f"{node_label(targets[node])} = {number[targets[node]]}"
            else:
                value = ""
            nodes.append(Node(x, y, node_label(node), value, kind))
    edges, notes = [], []
    for layer in network.layers:
        labelled = sum(len(n.terms) for n in layer) <= EDGE_LABEL_LIMIT
        for n in layer:
            x2, y2 = at[n.a]
            for source, weight in n.terms:
                x1, y1 = at[source]
                text = f"{node_label(weight)} = {number[weight]}" if labelled else ""
                tx, ty = x1 + LABEL_AT * (x2 - x1), y1 + LABEL_AT * (y2 - y1)
                edges.append(Edge(x1, y1, x2, y2, text, tx, ty))
            if n.bias:
                notes.append((x2, y2 + RADIUS + 14, f"{node_label(n.bias)} = {number[n.bias]}"))
    return Diagram(width, height, RADIUS, tuple(nodes), tuple(edges), tuple(notes))
