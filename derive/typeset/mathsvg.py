"""LaTeX → inline SVG with ziamath (STIX Two Math), sized in em and sitting on the text baseline.

Pure Python, deterministic (same LaTeX, same bytes), cached per LaTeX string. Glyphs that stand
for one character are written as SVG text in the 'STIXTwoMathFormulas' font rather than as outlines:
WeasyPrint draws a sheet's math about twice as fast, the PDF is a quarter of the size, and the
math can be selected and extracted as text. Each SVG also keeps its LaTeX as <title> and
aria-label.
"""

from __future__ import annotations

import contextlib
import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

EM = 16.0  # ziamath's size in SVG units per em; the SVG is rescaled to CSS em
FAMILY = "STIXTwoMathFormulas"

_TIMES = "<mo>&#x000D7;</mo>"
_SPACED_TIMES = '<mo lspace="0.2222em" rspace="0.2222em">&#x000D7;</mo>'
_ROWSPACING = re.compile(r'(<mtable[^>]*?rowspacing=")[^"]*"')


@functools.cache
def _ziamath():
    import ziamath
    import ziamath.styles

    ziamath.config.svg2 = False  # plain elements: no <symbol id> repeated across formulas
    # parse_style reads a few plain fields of the parent style through dataclasses.asdict,
    # which deep-copies it for each of the ~300 nodes of a formula: a third of the time.
    # A shallow view reads the same values.
    ziamath.styles.asdict = lambda style: dict(vars(style))
    # Each row is laid out twice, once to learn how tall its stretchy brackets must be;
    # nested rows make that 2^depth layouts. A row with nothing that can stretch needs no
    # first pass (its result is read by stretchy operators only).
    from ziamath.nodes.mrow import Mrow

    measure = Mrow._get_height_nostretch

    def height(self: Mrow, line: list[ET.Element], **kwargs: object) -> tuple[float, float]:
        return measure(self, line, **kwargs) if any(map(_may_stretch, line)) else (0.0, 0.0)

    Mrow._get_height_nostretch = height
    return ziamath


def _may_stretch(element: ET.Element) -> bool:
    """Whether an operator in this MathML subtree can stretch (by attribute or dictionary)."""
    from ziamath import operators

    for mo in element.iter("mo"):
        stretchy = mo.get("stretchy")
        if stretchy is None:
            text = (mo.text or "").strip()
            forms = ("prefix", "infix", "postfix")
            stretchy = (
                "true"
                if any(
                    operators.get_params(text, f).get("stretchy", "false") != "false" for f in forms
                )
                else "false"
            )
        if stretchy != "false":
            return True
    return False


def font_path() -> Path:
    """The math font ziamath lays out with, for @font-face."""
    return Path(_ziamath().__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"


_TEXT_SEEN: set[str] = set()
_SCRIPT_CANDIDATES = (
    "0123456789+-=()'′″‴abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u2212"
    + "".join(chr(c) for c in range(0x1D434, 0x1D468))  # math italic A–Z, a–z
)


@functools.cache
def _script_variants(font: object) -> dict[int, str]:
    """Script-size glyph (GSUB 'ssty') → the character it stands for. Drawn as that
    character, a subscript becomes text at script size instead of an outline."""
    gsub = getattr(font, "gsub", None)
    if gsub is None:
        return {}
    features = {**font.features, "ssty": True}
    variants = {}
    for char in _SCRIPT_CANDIDATES:
        index = font.glyphindex(char)
        if index:
            variant = gsub.sub([index], features)[0]
            if variant != index:
                variants[variant] = char
    return variants


@contextlib.contextmanager
def _glyphs_as_text() -> Iterator[None]:
    """While ziamath draws, place single-character glyphs as <text> instead of <path>."""
    from ziafont import glyph
    from ziafont.svgpath import fmt

    place = glyph.SimpleGlyph.place

    def as_text(self: glyph.SimpleGlyph, x: float, y: float, size: float) -> ET.Element | None:
        chars = self.char or {_script_variants(self.font).get(self.index, "")} - {""}
        if len(chars) != 1 or next(iter(chars)).isspace():
            return place(self, x, y, size)  # stretched delimiters, radicals: outlines
        element = ET.Element("text", {"x": fmt(x), "y": fmt(y), "font-size": fmt(size)})
        element.text = next(iter(chars))
        _TEXT_SEEN.add(element.text)
        return element

    glyph.SimpleGlyph.place = as_text
    try:
        yield
    finally:
        glyph.SimpleGlyph.place = place


def _merge_runs(parent: ET.Element) -> None:
    """Join neighbouring <text> glyphs on one baseline into one element with an x list."""
    children = list(parent)
    merged: list[ET.Element] = []
    for child in children:
        _merge_runs(child)
        last = merged[-1] if merged else None
        same_run = (
            last is not None
            and child.tag == last.tag == "text"
            and {k: v for k, v in child.attrib.items() if k != "x"}
            == {k: v for k, v in last.attrib.items() if k != "x"}
        )
        if same_run:
            last.attrib["x"] += " " + child.attrib["x"]
            last.text += child.text
        else:
            merged.append(child)
    if len(merged) != len(children):
        for child in children:
            parent.remove(child)
        parent.extend(merged)


@functools.cache
def svg(tex: str, display: bool = True) -> str:
    """One formula as an <svg> element string."""
    zm = _ziamath()
    from ziamath.tex import tex2mml

    mml = tex2mml(tex, inline=not display)
    # TeX's spacing around ×, which ziamath draws cramped; room between aligned rows
    mml = mml.replace(_TIMES, _SPACED_TIMES)
    mml = _ROWSPACING.sub(r'\g<1>0.6em"', mml)
    with _glyphs_as_text():
        element = zm.Math(mml, size=EM).svgxml()
    _merge_runs(element)
    width, height = float(element.attrib.pop("width")), float(element.attrib.pop("height"))
    depth = height + float(element.attrib["viewBox"].split()[1])
    element.attrib.pop("xmlns:xlink", None)
    element.attrib.update(
        {
            "class": "math" + (" display" if display else ""),
            "font-family": FAMILY,
            "role": "img",
            "aria-label": tex,
            "style": f"width:{width / EM:.4f}em;height:{height / EM:.4f}em;"
            f"vertical-align:{-depth / EM:.4f}em",
        }
    )
    title = ET.Element("title")
    title.text = tex
    element.insert(0, title)
    return ET.tostring(element, encoding="unicode")


def characters() -> str:
    """Every character the formulas typeset so far set as text (for the math font subset)."""
    return "".join(sorted({c for text in _TEXT_SEEN for c in text}))
