"""Where a diagram's labels may go: text boxes estimated from their characters, and a search
that gives every label a spot where it meets no other label, no node and no other edge.

Plain geometry (SVG user units, y downwards); derive.sheets.diagram says what to label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2

PAD = 2.0  # around a text's box: its white halo, and air between neighbours
CLEARANCE = 8.0  # spots this far from every other edge and box are all equally good
SPACING = 24.0  # and among those, spots this far from the other labels
BUDGET = 2_000  # spots tried per search before a layer is given up as too dense

# advance widths in em, rounded up from the wider of NanumGothic's and STIX Two Math's glyphs
# (the two faces a diagram's text is set in; a test checks every character against both)
_EM = {
    **dict.fromkeys("%@MW\\m", 1.1),
    **dict.fromkeys("wADEGHNOQU&", 0.86),
    **dict.fromkeys("=+−×<>#CKRVXY^~", 0.73),
    **dict.fromkeys('₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹!"/Js', 0.44),
    **dict.fromkeys("()[]{}-Ifrt", 0.39),
    **dict.fromkeys(" .,:;'`ijl|⁽⁾", 0.31),
}


def _em(c: str) -> float:
    return _EM.get(c, 0.64 if c.isascii() or c == "⁻" else 1.0)  # Hangul and the rest: 1 em


def text_width(text: str, size: float) -> float:
    """A conservative estimate of `text`'s width at font size `size`."""
    return size * sum(_em(c) for c in text)


@dataclass(frozen=True)
class Label:
    """A text of the diagram and the box it must keep to itself."""

    text: str
    kind: str  # weight | bias | value | more (the ⋮ of neurons not drawn)
    x: float  # where the text is anchored: its baseline
    y: float
    anchor: str  # start | middle | end
    size: float
    box: Box
    edge: int = -1  # the edge a weight label sits on (index into the diagram's edges)

    @property
    def rect(self) -> tuple[float, float, float, float]:
        """The box as x, y, width, height: a weight's white ground, which hides its own edge
        (and no other: none crosses the box)."""
        x0, y0, x1, y1 = self.box
        return x0, y0, round(x1 - x0, 1), round(y1 - y0, 1)


def label(
    text: str, kind: str, x: float, y: float, size: float, anchor: str = "middle", edge: int = -1
) -> Label:
    """`text` with its box centred on height y; x is its start, middle or end as `anchor`."""
    width, half = text_width(text, size) + 2 * PAD, 0.55 * size + PAD
    x0 = {"start": x - PAD, "middle": x - width / 2, "end": x - width + PAD}[anchor]
    box = (round(x0, 1), round(y - half, 1), round(x0 + width, 1), round(y + half, 1))
    return Label(text, kind, round(x, 1), round(y + 0.3 * size, 1), anchor, size, box, edge)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(segment: Segment, box: Box) -> bool:
    """Whether the segment meets the box (Liang–Barsky clipping)."""
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        lo, hi = (max(lo, t), hi) if p < 0 else (lo, min(hi, t))
        if lo > hi:
            return False
    return True


def _point_to_segment(px: float, py: float, segment: Segment) -> float:
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy or 1.0)))
    return math.hypot(px - x1 - t * dx, py - y1 - t * dy)


def _point_to_box(px: float, py: float, box: Box) -> float:
    return math.hypot(max(box[0] - px, 0, px - box[2]), max(box[1] - py, 0, py - box[3]))


def _distance(box: Box, segment: Segment) -> float:
    """From a box to a segment it does not cross (the nearest points include a corner or an
    end of the segment)."""
    corners = ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3]))
    return min(
        *(_point_to_segment(x, y, segment) for x, y in corners),
        _point_to_box(segment[0], segment[1], box),
        _point_to_box(segment[2], segment[3], box),
    )


def _box_gap(a: Box, b: Box) -> float:
    return math.hypot(max(b[0] - a[2], 0, a[0] - b[2]), max(b[1] - a[3], 0, a[1] - b[3]))


def place(
    wanted: Sequence[Sequence[Label]],
    edges: Sequence[Segment],
    taken: Sequence[Box],
    frame: Box,
) -> list[Label] | None:
    """One spot per label, from its candidates (in order of preference): inside `frame`, off
    every taken box and every edge but its own, apart from each other. Spots with room around
    them come first. None when the search finds no way within its budget."""
    domains = []
    for options in wanted:
        free = []
        for option in options:
            box = option.box
            inside = frame[0] <= box[0] and frame[1] <= box[1]
            if not (inside and box[2] <= frame[2] and box[3] <= frame[3]):
                continue
            if any(_overlap(box, b) for b in taken):
                continue
            near = [e for k, e in enumerate(edges) if k != option.edge and _near(e, box)]
            if any(_crosses(e, box) for e in near):
                continue
            room = min([_distance(box, e) for e in near] + [_box_gap(box, b) for b in taken])
            free.append((min(room, CLEARANCE), option))
        domains.append(free)
    search = _Search()
    return [search.chosen[k] for k in range(len(wanted))] if search.run(domains) else None


def _near(edge: Segment, box: Box) -> bool:
    """Whether the edge's bounding box comes within CLEARANCE of the box (a cheap filter)."""
    reach = (box[0] - CLEARANCE, box[1] - CLEARANCE, box[2] + CLEARANCE, box[3] + CLEARANCE)
    x1, y1, x2, y2 = edge
    return _overlap((min(x1, x2), min(y1, y2), max(x1, x2) + 0.1, max(y1, y2) + 0.1), reach)


class _Search:
    """Backtracking with forward checking: the label with fewest spots left goes first, to
    its roomiest spot (away from edges and boxes, then from the labels already chosen, so
    that neighbours stagger)."""

    def __init__(self) -> None:
        self.chosen: dict[int, Label] = {}
        self.tries = 0

    def run(self, domains: list[list[tuple[float, Label]]]) -> bool:
        open_ = [k for k in range(len(domains)) if k not in self.chosen]
        if not open_:
            return True
        k = min(open_, key=lambda i: (len(domains[i]), i))
        for _, option in sorted(domains[k], key=self._roomiest):
            self.tries += 1
            if self.tries > BUDGET:
                return False
            pruned = [
                [s for s in d if not _overlap(s[1].box, option.box)] if i in open_ and i != k else d
                for i, d in enumerate(domains)
            ]
            if any(not pruned[i] for i in open_):
                continue
            self.chosen[k] = option
            if self.run(pruned):
                return True
            del self.chosen[k]
        return False

    def _roomiest(self, spot: tuple[float, Label]) -> tuple[float, float]:
        """Sort key: room from edges and fixed boxes first, then from the chosen labels."""
        room, option = spot
        apart = min([SPACING] + [_box_gap(option.box, c.box) for c in self.chosen.values()])
        return -room, -apart
