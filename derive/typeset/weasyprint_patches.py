"""derive's patch to WeasyPrint's SVG text, applied only to the version it was written for.

A formula's glyphs are SVG <text> with one x and y per character (mathsvg merges the glyphs of
each size into one element). WeasyPrint lays out and draws every character of such an element
as its own Pango layout and text object: the answer key of an exercise set spent a fifth of
its PDF time there. The patch draws each run of characters that share a baseline as one Pango
layout, each glyph's advance set to the distance ziamath placed it at, so the glyphs land
where they did before (within a hundredth of a point: each glyph's width is chosen so that the
PDF's whole-thousandth-of-an-em adjustments do not add up) with less than half the work.

It reaches into private code (the SVG tag table, Pango glyph strings), so it applies only when
the installed WeasyPrint is exactly WRITTEN_FOR (the version constraints.txt pins) and what it
replaces has the expected shape; any text it cannot draw this way (anchors, offsets, a run
Pango shapes into other glyphs than characters) is drawn by WeasyPrint's own code.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from importlib import metadata
from typing import Any

from derive.typeset.ziamath_patches import parameters

WRITTEN_FOR = "70.0"

# attributes WeasyPrint's own text drawing handles and the patch does not
_OWN = (
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "letter-spacing",
    "display-anchor",
    "dominant-baseline",
    "alignment-baseline",
    "direction",
)


@functools.cache
def fits() -> bool:
    """Whether the patch matches the installed WeasyPrint (checked once)."""
    try:
        if metadata.version("weasyprint") != WRITTEN_FOR:
            return False
    except metadata.PackageNotFoundError:
        return False
    svg = importlib.import_module("weasyprint.svg")
    text = importlib.import_module("weasyprint.svg.text")
    draw = importlib.import_module("weasyprint.draw.text")
    line_break = importlib.import_module("weasyprint.text.line_break")
    return (
        getattr(svg, "TAGS", {}).get("text") is getattr(text, "text", None)
        and getattr(svg, "text", None) is text.text
        and parameters(text.text) == ["svg", "node", "font_size"]
        and parameters(draw.draw_first_line)
        == ["stream", "textbox", "text_overflow", "block_ellipsis", "matrix"]
        and parameters(line_break.create_layout)
        == ["text", "style", "context", "max_width", "justification_spacing"]
        and hasattr(text, "TextBox")
        and hasattr(text, "Style")
    )


_ORIGINAL: dict[str, Callable[..., None]] = {}


def install() -> bool:
    """Apply the patch where it fits; whether it is on. Idempotent."""
    if not fits():
        return False
    if not _ORIGINAL:
        svg = importlib.import_module("weasyprint.svg")
        original = _ORIGINAL["text"] = svg.text
        patched = _runs_drawer(original, _Advances())
        # draw_node recognises text elements (text, tspan, a, textPath: every tag drawn by
        # `text`) by comparing their TAGS entry with the module's `text`
        for tag in [tag for tag, draw in svg.TAGS.items() if draw is original]:
            svg.TAGS[tag] = patched
        svg.text = patched
    return True


def uninstall() -> None:
    """Put WeasyPrint's own text drawing back (the test draws both ways)."""
    if _ORIGINAL:
        svg = importlib.import_module("weasyprint.svg")
        patched, original = svg.text, _ORIGINAL.pop("text")
        for tag in [tag for tag, draw in svg.TAGS.items() if draw is patched]:
            svg.TAGS[tag] = original
        svg.text = original


def _positions(svg: Any, node: Any, font_size: float) -> tuple[list[float], list[float]] | None:
    """One x and one y per character, or None where the element is not placed so."""
    from weasyprint.svg.utils import normalize, size

    text = node.text
    if not text or any(name in node.attrib for name in _OWN):
        return None
    if node.get("font-style", "normal") != "normal" or str(node.get("font-weight", 400)) not in (
        "400",
        "normal",
    ):
        return None
    xs = normalize(node.attrib.get("x", "")).split()
    ys = normalize(node.attrib.get("y", "")).split()
    if len(xs) != len(text) or len(ys) != len(text):
        return None
    return (
        [size(x, font_size, svg.inner_width) for x in xs],
        [size(y, font_size, svg.inner_height) for y in ys],
    )


def _runs(xs: list[float], ys: list[float]) -> list[tuple[int, int]]:
    """[start, end) of each run of characters on one baseline, left to right."""
    runs, start = [], 0
    for i in range(1, len(xs) + 1):
        if i == len(xs) or ys[i] != ys[start] or xs[i] <= xs[i - 1]:
            runs.append((start, i))
            start = i
    return runs


class _Advances:
    """Sets glyph widths so that draw_first_line writes each glyph at its place. It writes an
    advance as the glyph's own width (whole thousandths of the font size) plus an adjustment
    truncated to a whole thousandth; the width is chosen so that the truncation lands each
    glyph on its place rounded to a thousandth, not off by the sum of those before it. Own
    widths are measured once per font and glyph (a process draws a few hundred)."""

    def __init__(self) -> None:
        self._own: dict[tuple[int, float, int], int] = {}

    def laid_out(self, chunk: str, xs: list[float], style: Any, context: Any) -> Any | None:
        """A Pango layout of `chunk` whose glyphs start at `xs` (one per character, from the
        first's), or None when Pango does not shape it one glyph per character."""
        from weasyprint.text.ffi import ffi, pango
        from weasyprint.text.fonts import get_pango_font_key
        from weasyprint.text.line_break import create_layout

        layout = create_layout(chunk, style, context, None, 0)
        # drawing sets this; set first, it would lay the line out again and drop the widths
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        line, _ = layout.get_first_line()
        glyphs = []
        run = line.runs[0]
        while run != ffi.NULL:
            font = run.data.item.analysis.font
            key, _, size = get_pango_font_key(font)
            if pango.pango_version() < 14802:  # as draw_first_line does
                size = style["font_size"]
            string = run.data.glyphs
            glyphs += [(string.glyphs[k], font, key, size) for k in range(string.num_glyphs)]
            run = run.next
        offset = any(g.geometry.x_offset or g.geometry.y_offset for g, *_ in glyphs)
        if offset or len(glyphs) != len(chunk):
            return None
        for k, (glyph, font, key, size) in enumerate(glyphs[:-1]):
            own = self._own_width(font, key, size, glyph.glyph)
            glyph.geometry.width = _width(own, xs[k] - xs[0], xs[k + 1] - xs[0], size)
        return layout

    def _own_width(self, font: Any, key: int, size: float, glyph: int) -> int:
        """The glyph's width in thousandths of the font size, as draw_first_line measures it."""
        from weasyprint.text.ffi import FROM_UNITS, ffi, pango

        if (key, size, glyph) not in self._own:
            ink, logical = ffi.new("PangoRectangle *"), ffi.new("PangoRectangle *")
            pango.pango_font_get_glyph_extents(font, glyph, ink, logical)
            self._own[key, size, glyph] = round(logical.width * 1000 * FROM_UNITS / size)
        return self._own[key, size, glyph]


def _width(own: int, start: float, end: float, size: float) -> int:
    """The Pango width of a glyph of own width `own` that draw_first_line advances from
    `start` to `end` (from the run's origin) within half a thousandth of the font size."""
    from weasyprint.text.ffi import FROM_UNITS

    advance = round(end * 1000 / size) - round(start * 1000 / size)  # in thousandths
    wanted = own - advance  # the adjustment draw_first_line should write
    width = round(advance * size / (1000 * FROM_UNITS))
    for candidate in (width, width - 1, width + 1, width - 2, width + 2):
        # draw_first_line's own expression (no offset: the patch draws none)
        if int(own + 0.0 - candidate * 1000 * FROM_UNITS / size) == wanted:
            return candidate
    return width


def _runs_drawer(original: Callable[..., None], advances: _Advances) -> Callable[..., None]:
    def text(svg: Any, node: Any, font_size: float) -> None:
        """Draw a <text> element (see the module's docstring)."""
        from weasyprint.css.properties import INITIAL_VALUES
        from weasyprint.draw.text import draw_emojis, draw_first_line
        from weasyprint.matrix import Matrix
        from weasyprint.svg.bounding_box import extend_bounding_box
        from weasyprint.svg.text import Style, TextBox
        from weasyprint.text.ffi import FROM_UNITS, ffi, pango

        positions = _positions(svg, node, font_size)
        if positions is None:
            return original(svg, node, font_size)
        xs, ys = positions
        style = Style()
        style.update(INITIAL_VALUES)
        style.font_config = svg.font_config
        families = node.get("font-family", "sans-serif").split(",")
        style["font_family"] = [family.strip("\"'") for family in families]
        style["font_style"], style["font_weight"], style["font_size"] = "normal", 400, font_size
        layouts = []
        for start, end in _runs(xs, ys):
            layout = advances.laid_out(node.text[start:end], xs[start:end], style, svg.context)
            if layout is None:
                return original(svg, node, font_size)
            layouts.append((layout, xs[start], ys[start]))

        extents = ffi.new("PangoRectangle *")
        for layout, x, y in layouts:
            line, _ = layout.get_first_line()
            pango.pango_layout_line_get_extents(line, ffi.NULL, extents)
            width, height = extents.width * FROM_UNITS, extents.height * FROM_UNITS
            baseline = pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS
            node.text_bounding_box = extend_bounding_box(
                node.text_bounding_box, ((x, y - baseline), (x + width, y - baseline + height))
            )
            svg.cursor_position = x + width, y
        svg.stream.push_state()
        fill, stroke = svg.set_graphical_state(node, font_size)
        svg.stream.begin_text()
        emoji_lines = []
        for layout, x, y in layouts:
            svg.fill_stroke(fill, stroke, text=True)
            box = TextBox(layout, style)
            box.baseline = 0
            emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(d=-1, e=x, f=y))
            emoji_lines.append((x, y, emojis))
        svg.stream.end_text()
        svg.stream.pop_state()
        for x, y, emojis in emoji_lines:
            draw_emojis(svg.stream, style, x, y, emojis)
        return None

    return text
