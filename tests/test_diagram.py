"""The network diagram's geometry: no label covers another label, a node or an edge not its
own; labels stay in the picture; layer pairs too dense to label become weight matrices."""

from __future__ import annotations

import functools
import math
import string
from decimal import Decimal
from importlib import resources
from itertools import pairwise
from typing import Any

import pytest
from fontTools.ttLib import TTFont

from derive.engine.batch import Batch
from derive.engine.derivation import derive
from derive.engine.names import node_label
from derive.engine.network import Network, build_network
from derive.engine.training import descend
from derive.sheets.context import Context
from derive.sheets.diagram import MAX_WIDTH, Diagram, layout
from derive.sheets.document import Group, Section, Table
from derive.sheets.givens import MATRIX_CELL, MATRIX_FONT, MATRIX_WIDTH, givens
from derive.sheets.labels import text_width
from derive.text import numbers
from derive.typeset.mathsvg import font_path
from tests.conftest import make_spec


def _values(count: int, salt: int) -> list[Decimal]:
    """Given numbers of mixed signs and lengths: 0.4, −0.25, 0.125, …"""
    out = []
    for k in range(count):
        n = (k * 37 + salt * 11) % 199 - 99
        out.append(Decimal(n).scaleb(-2) if k % 3 else Decimal(n * 5).scaleb(-3))
    return out


def _spec_values(layers: list[int], bias: str, **overrides: Any) -> dict[str, Any]:
    weights = sum(a * b for a, b in pairwise(layers))
    biases = {"none": 0, "neuron": sum(layers[1:]), "layer": len(layers) - 1}[bias]
    return {
        "layers": layers,
        "bias": bias,
        "weights": _values(weights, 1),
        "biases": _values(biases, 2),
        "inputs": _values(layers[0], 3),
        "targets": [Decimal("0.5")] * layers[-1],
        **overrides,
    }


NETWORKS: dict[str, dict[str, Any]] = {
    "seed 2-2-1": {},
    "2-3-2 biases": _spec_values([2, 3, 2], "neuron"),
    "3-4-3 biases": _spec_values([3, 4, 3], "neuron", numbering="by_target"),
    "2-3-3-1": _spec_values([2, 3, 3, 1], "none"),
    "2-3-3-1 biases": _spec_values([2, 3, 3, 1], "neuron"),
    "2-2-2 layer bias": _spec_values([2, 2, 2], "layer"),
    "2-4-2 biases": _spec_values([2, 4, 2], "neuron"),
    "4-2-1 biases": _spec_values([4, 2, 1], "neuron", numbering="by_target"),
    "4-6-6-3 biases": _spec_values([4, 6, 6, 3], "neuron"),
    "4-8-8-3 biases": _spec_values([4, 8, 8, 3], "neuron"),
    "1-6-1 biases": _spec_values([1, 6, 1], "neuron"),
    "2-16 biases": _spec_values([2, 16], "neuron"),
    "8 layers of 2": _spec_values([2] * 8, "neuron"),
    "8 layers of 8": _spec_values([8] * 8, "layer"),
    "1-64-1 biases": _spec_values([1, 64, 1], "neuron"),
    "64-64 (4096 weights)": _spec_values([64, 64], "none"),
    "64-31-64 biases": _spec_values([64, 31, 64], "neuron"),
    "2-3-2 long numbers": _spec_values(
        [2, 3, 2],
        "neuron",
        weights=[Decimal("-0.123456789012345"), *_values(11, 1)],
        inputs=[Decimal("-999999.5"), Decimal("0.000000000000001")],
    ),
}


@functools.cache
def _network(name: str) -> Network:
    return build_network(make_spec(**NETWORKS[name]))


@functools.cache
def _diagram(name: str) -> Diagram:
    net = _network(name)
    return layout(net, {p: numbers.given_text(v) for p, v in net.given.items()})


def _crosses(segment: tuple[float, ...], box: tuple[float, ...]) -> bool:
    """Segment against rectangle by separating axes: the box's two, the segment's normal."""
    x1, y1, x2, y2 = segment
    a, b, c, d = box
    if max(x1, x2) <= a or min(x1, x2) >= c or max(y1, y2) <= b or min(y1, y2) >= d:
        return False
    sides = [(x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) for x in (a, c) for y in (b, d)]
    return not (all(s > 0 for s in sides) or all(s < 0 for s in sides))


def _meets_circle(box: tuple[float, ...], x: float, y: float, r: float) -> bool:
    nearest = (min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]))
    return math.dist(nearest, (x, y)) < r


@pytest.mark.parametrize("name", NETWORKS)
def test_labels_keep_clear_of_each_other_nodes_and_other_edges(name):
    d = _diagram(name)
    boxes = [label.box for label in d.labels]
    for i, a in enumerate(boxes):
        assert 0 <= a[0] < a[2] <= d.width and 0 <= a[1] < a[3] <= d.height, d.labels[i]
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    for label in d.labels:
        for n in d.nodes:
            assert not _meets_circle(label.box, n.x, n.y, d.radius), (label, n)
        for k, edge in enumerate(d.edges):
            assert k == label.edge or not _crosses(edge, label.box), (label, edge)


@pytest.mark.parametrize("name", NETWORKS)
def test_boxes_hold_their_text_and_weights_sit_on_their_edges(name):
    d = _diagram(name)
    for label in d.labels:
        x0, y0, x1, y1 = label.box
        assert x1 - x0 >= text_width(label.text, label.size) and y1 - y0 >= label.size
        if label.kind == "weight":
            ex1, ey1, ex2, ey2 = d.edges[label.edge]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            t = (cx - ex1) / (ex2 - ex1)
            assert 0.2 - 1e-9 <= t <= 0.8 + 1e-9
            assert abs(ey1 + t * (ey2 - ey1) - cy) < 0.2  # centred on its own line


@pytest.mark.parametrize("name", NETWORKS)
def test_every_parameter_is_on_the_diagram_or_in_a_matrix(name):
    net, d = _network(name), _diagram(name)
    shown = [label.text.split(" = ")[0] for label in d.labels if label.kind in ("weight", "bias")]
    assert len(shown) == len(set(shown)) or net.spec.bias == "layer"
    for l, layer in enumerate(net.layers, start=1):
        weights = {node_label(w) for n in layer for _, w in n.terms}
        biases = {node_label(n.bias) for n in layer if n.bias}
        if l in d.matrices:
            assert not (weights | biases) & set(shown), l  # drawn unlabelled
        else:
            assert weights | biases <= set(shown), l
    assert d.width <= MAX_WIDTH
    assert d.height <= 520  # with the sheet's header, on the first page


@pytest.mark.parametrize(
    ("name", "matrices"),
    [
        ("seed 2-2-1", ()),
        ("2-3-2 biases", ()),
        ("2-2-2 layer bias", ()),
        ("2-4-2 biases", ()),
        ("1-6-1 biases", ()),
        ("2-3-3-1", (2,)),  # 3 × 3 edges: too dense; the pairs beside it keep their labels
        ("3-4-3 biases", (1, 2)),
        ("4-6-6-3 biases", (1, 2, 3)),
        ("2-16 biases", (1,)),
        ("64-64 (4096 weights)", (1,)),
        ("2-3-2 long numbers", (1,)),  # w₁'s 15 decimals find no room
    ],
)
def test_dense_layer_pairs_become_matrices(name, matrices):
    assert _diagram(name).matrices == matrices


def test_tall_layers_show_their_ends_and_an_ellipsis():
    d = _diagram("1-64-1 biases")
    hidden = [n.name for n in d.nodes if n.kind == "hidden"]
    assert hidden == ["h₁", "h₂", "h₃", "h₄", "h₅", "h₆", "h₆₄"]
    assert [label.text for label in d.labels if label.kind == "more"] == ["⋮"]


def test_estimated_widths_are_never_narrower_than_the_fonts():
    nanum = resources.files("derive").joinpath("fonts/NanumGothic.ttf")
    fonts = [TTFont(str(nanum)), TTFont(str(font_path()))]  # a diagram's two faces
    symbols = "−×⋮…₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁽⁾가나다편향층"
    for c in string.printable.strip() + " " + symbols:
        real = 0.0
        for font in fonts:
            glyph = font.getBestCmap().get(ord(c))
            if glyph is not None:
                real = max(real, font["hmtx"][glyph][0] / font["head"].unitsPerEm)
        assert text_width(c, 1.0) >= real, c


def _givens(name: str, lang: str = "en") -> Section:
    derivation = derive(_network(name))
    return givens(Context(derivation, descend(Batch((derivation,))), 3, lang, "some"))


def _matrices(section: Section) -> list[Group]:
    """The matrices' groups (the first one's note and all) in order."""
    first, *rest = _parameters(section).blocks
    return [first.blocks[1], *rest]


def test_a_matrix_reads_like_a_w_rows_sources_columns_targets():
    section = _givens("3-4-3 biases")  # numbered by target: w₁ = x₁→h₁, w₂ = x₂→h₁
    assert "Its weights are in the matrices under Parameters below." in section.blocks[0].caption
    first, second = _matrices(section)
    assert first.title == "W⁽¹⁾: inputs → hidden layer 1"
    assert second.title == "W⁽²⁾: hidden layer 1 → output layer"
    (table,) = first.blocks
    assert table.style == "matrix" and table.header == ("", "h₁", "h₂", "h₃", "h₄")
    net = _network("3-4-3 biases")
    shown = {p: numbers.given_text(v) for p, v in net.given.items()}
    row = ("x₁", *(f"{node_label(w)} = {shown[w]}" for w in ("w1", "w4", "w7", "w10")))
    assert table.rows[0] == row
    assert [row[0] for row in table.rows] == ["x₁", "x₂", "x₃", "b"]
    assert table.rows[1][1].startswith("w₂ = ") and table.rows[3][1].startswith("b₁ = ")


def test_a_wide_matrix_is_split_into_blocks_of_columns_that_fit_the_page():
    (group,) = _matrices(_givens("2-16 biases", "ko"))
    assert group.title == "W⁽¹⁾: 입력층 → 출력층"
    tables = group.blocks
    assert len(tables) > 1 and all(isinstance(t, Table) for t in tables)
    assert [c for t in tables for c in t.header[1:]] == [node_label(f"o{k}") for k in range(1, 17)]
    for t in tables:
        assert [row[0] for row in t.rows] == ["x₁", "x₂", "b"]
        columns = list(zip(t.header, *t.rows))
        width = sum(max(text_width(c, MATRIX_FONT) for c in col) + MATRIX_CELL for col in columns)
        assert width <= MATRIX_WIDTH


def test_captions_say_what_the_diagram_shows():
    seed, shared = _givens("seed 2-2-1").blocks[0], _givens("2-2-2 layer bias", "ko").blocks[0]
    assert seed.caption == "The network. Every edge carries its weight."
    assert shared.caption == (
        "신경망 구조. 각 연결선에 가중치를 적었다. "
        "한 층이 함께 쓰는 편향은 그 층의 모든 뉴런 옆에 적었다."
    )
    mixed = _givens("2-3-3-1").blocks[0].caption
    assert "except between layers with too many edges to label" in mixed
    # biases beside their neurons, except in the pair drawn without labels: the caption says
    biased = _givens("2-3-3-1 biases").blocks[0].caption
    assert "Biases are written beside their neurons." in biased
    assert "The biases of layers drawn without labels are in their matrix's row b." in biased


def test_parameters_are_one_column_for_small_networks_matrices_for_the_rest():
    (small,) = _parameters(_givens("seed 2-2-1")).blocks
    assert isinstance(small, Table) and small.header == ("name", "connects", "value")
    assert [row[0] for row in small.rows] == [f"w{c}" for c in "₁₂₃₄₅₆"]
    # 4-8-8-3 with a bias per neuron: 139 parameters, every layer a matrix, no long column
    big = _givens("4-8-8-3 biases")
    assert not any(isinstance(b, Table) for b in _parameters(big).blocks)
    matrices = _matrices(big)
    assert [m.title.split(":")[0] for m in matrices] == ["W⁽¹⁾", "W⁽²⁾", "W⁽³⁾"]
    cells = [c for m in matrices for t in m.blocks for row in t.rows for c in row[1:]]
    assert len(cells) == 139 == len(set(cells))
    for matrix in matrices:  # blocks of even widths: 8 columns as 4 + 4, not 7 + 1
        sizes = [len(t.header) - 1 for t in matrix.blocks]
        assert max(sizes) - min(sizes) <= 1, sizes
    # a diagram with one pair in a matrix gives every layer as a matrix, for one way to read
    assert len(_matrices(_givens("2-3-3-1"))) == 3


def _parameters(section: Section) -> Group:
    (parameters,) = [b for b in section.blocks if isinstance(b, Group)]
    return parameters
