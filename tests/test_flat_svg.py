"""Charts with their <use> references drawn in place: the PDF draws the very same points as
from matplotlib's own SVG (read back out of both PDFs, every transformation applied), with
the same paint, and no <use> is left for WeasyPrint to copy."""

from __future__ import annotations

import base64
import io
from collections import Counter

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from derive.engine.spec import load_spec
from derive.sheets.document import Chart
from derive.trainer import Training, rules
from derive.typeset.charts import drawn_svg
from derive.typeset.flat_svg import flattened
from derive.typeset.pdf import PdfWriter
from tests.test_weasyprint_patch import multiply

PATH_OPERATORS = {b"m": 1, b"l": 1, b"c": 3, b"v": 2, b"y": 2}
PAINT = {b"f", b"f*", b"S", b"B", b"B*", b"b", b"b*", b"s", b"n"}


@pytest.fixture(scope="module")
def comparison():
    spec = load_spec(None)
    return Training(spec, rules(spec, ["sgd", "momentum", "adam"]), 3).checked.comparison


def _pdf(svg: bytes) -> bytes:
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return PdfWriter().write((f'<img src="{source}" style="width:16cm">', ""))


def _drawn(pdf: bytes) -> tuple[Counter, Counter]:
    """Every point a path passes through, on the page (rounded to 0.01 pt), and how often
    each paint operator runs with each colour: read from the content streams, forms too. A
    move that the next move replaces draws nothing (WeasyPrint starts each path at 0 0)."""
    reader = PdfReader(io.BytesIO(pdf))
    points: Counter = Counter()
    paints: Counter = Counter()

    def walk(stream, resources, matrix: list[float]) -> None:
        stack, colour, moved = [], (), None
        for operands, operator in ContentStream(stream, reader).operations:
            if moved is not None and operator != b"m" and operator in PATH_OPERATORS:
                points[moved] += 1
            if operator in PATH_OPERATORS or operator in PAINT:
                moved = None
            if operator == b"q":
                stack.append((matrix, colour))
            elif operator == b"Q":
                matrix, colour = stack.pop()
            elif operator == b"cm":
                matrix = multiply([float(v) for v in operands], matrix)
            elif operator in (b"rg", b"RG", b"g", b"G", b"sc", b"scn", b"SC", b"SCN"):
                colour = (operator, *(round(float(v), 4) for v in operands))
            elif operator in PATH_OPERATORS:
                values = [float(v) for v in operands]
                for x, y in zip(values[::2], values[1::2], strict=True):
                    px = matrix[0] * x + matrix[2] * y + matrix[4]
                    py = matrix[1] * x + matrix[3] * y + matrix[5]
                    if operator == b"m":
                        moved = (round(px, 2), round(py, 2))
                    else:
                        points[(round(px, 2), round(py, 2))] += 1
            elif operator in PAINT:
                paints[(operator, colour)] += 1
            elif operator == b"Do":
                form = resources["/XObject"][operands[0]].get_object()
                inner = [float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                walk(form, form.get("/Resources", resources), multiply(inner, matrix))

    page = reader.pages[0]
    walk(page.get_contents(), page["/Resources"], [1, 0, 0, 1, 0, 0])
    return points, paints


@pytest.mark.parametrize("plot", ["losses", "paths"])
def test_flattened_charts_draw_the_same_points(comparison, plot):
    labels = {"x": "step", "y": "C", "start": "start", **{n: n for n in comparison.chosen}}
    svg = drawn_svg(Chart(plot, comparison, labels, ""))
    flat = flattened(svg)
    assert b"<use" in svg and b"<use" not in flat
    points, paints = _drawn(_pdf(svg))
    flat_points, flat_paints = _drawn(_pdf(flat))
    assert len(points) > 1000
    assert flat_points == points
    # the same paint in the same colours (ticks and glyphs joined: fewer, never other ones)
    assert set(flat_paints) == set(paints)
    assert sum(flat_paints.values()) < sum(paints.values())
