"""LaTeX → inline SVG with ziamath (STIX Two Math), sized in em and sitting on the text baseline.

Pure Python, deterministic (same LaTeX, same bytes). A MathTypesetter caches formulas (a
bounded cache, in the instance), and each formula carries the characters it sets as text, so a
document's math font subset is the union of its own formulas' characters: nothing depends on
what was typeset before. Glyphs that stand
for one character are written as SVG text in the 'STIXTwoMathFormulas' font rather than as outlines:
WeasyPrint draws a sheet's math about twice as fast, the PDF is a quarter of the size, and the
math can be selected and extracted as text. That, and making ziamath faster, takes patches that
apply to the pinned ziamath and ziafont only (ziamath_patches.py); with other versions every glyph
is an outline. Each SVG also keeps its LaTeX as <title> and aria-label.
"""

from __future__ import annotations

import base64
import functools
import re
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from markupsafe import escape

from derive.typeset import ziamath_patches
from derive.workers import MATH, Workers

EM = 16.0  # ziamath's size in SVG units per em; the SVG is rescaled to CSS em
FAMILY = "STIXTwoMathFormulas"

_TIMES = "<mo>&#x000D7;</mo>"
_SPACED_TIMES = '<mo lspace="0.2222em" rspace="0.2222em">&#x000D7;</mo>'
_ROWSPACING = re.compile(r'(<mtable[^>]*?rowspacing=")[^"]*"')


@functools.cache
def _ziamath() -> ModuleType:
    import ziamath

    ziamath.config.svg2 = False  # plain elements: no <symbol id> repeated across formulas
    ziamath_patches.install()
    return ziamath


def font_path() -> Path:
    """The math font ziamath lays out with, for @font-face."""
    return Path(_ziamath().__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"


def _merge_glyphs(parent: ET.Element) -> None:
    """Join the <text> glyphs of each size into one element with x and y lists, in reading
    order, where the first of them stood: WeasyPrint's cost goes with the number of elements
    (a third less time for an answer key), and the page looks the same."""
    merged: dict[tuple[tuple[str, str], ...], ET.Element] = {}
    for child in list(parent):
        _merge_glyphs(child)
        if child.tag != "text" or not child.text:
            continue
        positions = {axis: child.attrib[axis].split() for axis in ("x", "y")}
        if len(positions["x"]) != len(child.text) or len(positions["y"]) not in (
            1,
            len(child.text),
        ):
            continue  # a run placed from its first glyph: left as it is
        child.attrib["y"] = " ".join(positions["y"] * (len(child.text) // len(positions["y"])))
        style = tuple(sorted((k, v) for k, v in child.attrib.items() if k not in ("x", "y")))
        first = merged.setdefault(style, child)
        if first is not child:
            first.attrib["x"] += " " + child.attrib["x"]
            first.attrib["y"] += " " + child.attrib["y"]
            first.text += child.text
            parent.remove(child)


@dataclass(frozen=True)
class Typeset:
    svg: str  # an <svg> element
    characters: frozenset[str]  # set as text in the math font (none when glyphs are outlines)
    # the same as an <img> whose source is the SVG: for WeasyPrint, which draws it the same
    # (the PDF is byte-identical) a quarter faster, with one element in the page for each
    # formula instead of its glyphs' and the same formula's SVG parsed once
    image: str


_INNERMOST = re.compile(r"\\left\(((?:(?!\\left\(|\\right\)).)*)\\right\)", re.S)
_TALL = ("\\frac", "\\sum", "\\begin", "\\displaystyle", "\0")  # \0: a grown pair inside


def plain_brackets(tex: str) -> str:
    """\\left( … \\right) kept only around what is taller than a line (a fraction, a sum,
    cases, a bracket that grows): elsewhere plain ( ), the height of the text. Every bracket
    of a line then has one size (σ(z₁) and σ(0.470) alike), and ziamath lays a formula out
    once instead of twice per stretchy pair (the answer keys' formulas: a third faster)."""
    while (match := _INNERMOST.search(tex)) is not None:
        inner = match.group(1)
        tall = any(mark in inner for mark in _TALL)
        pair = f"\0({inner}\0)" if tall else f"({inner})"
        tex = tex[: match.start()] + pair + tex[match.end() :]
    return tex.replace("\0(", "\\left(").replace("\0)", "\\right)")


def typeset(tex: str, display: bool = True) -> Typeset:
    """One formula as an <svg> element string, and the characters it sets as text."""
    zm = _ziamath()
    from ziamath.tex import tex2mml

    mml = tex2mml(plain_brackets(tex), inline=not display)
    # TeX's spacing around ×, which ziamath draws cramped; room between aligned rows
    mml = mml.replace(_TIMES, _SPACED_TIMES)
    mml = _ROWSPACING.sub(r'\g<1>0.6em"', mml)
    seen: set[str] = set()
    with ziamath_patches.glyphs_as_text(seen):
        element = zm.Math(mml, size=EM).svgxml()
    _merge_glyphs(element)
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
    characters = frozenset(c for text in seen for c in text)
    svg = ET.tostring(element, encoding="unicode")
    shown = {name: element.attrib.pop(name) for name in ("class", "role", "aria-label", "style")}
    source = base64.b64encode(ET.tostring(element, encoding="unicode").encode()).decode()
    image = (
        f'<img class="{shown["class"]}" alt="{escape(tex)}" style="{shown["style"]}" '
        f'src="data:image/svg+xml;base64,{source}">'
    )
    return Typeset(svg, characters, image)


Key = tuple[str, bool]  # LaTeX, display
SHARED = 300  # new formulas beyond which a worker typesets half (a big network's sheet)


def _typeset_all(keys: list[Key]) -> list[Typeset]:
    return [typeset(*key) for key in keys]


class MathTypesetter:
    """Typesets formulas, remembering the last `cache_size` (one course's sheets repeat many).
    A document with many new formulas is typeset on two cores: a worker (forked with ziamath
    loaded) takes the second half; typesetting is a pure function, so the bytes are
    the same either way."""

    def __init__(self, workers: Workers | None = None, cache_size: int = 4096) -> None:
        self.workers, self.cache_size = workers, cache_size
        self._cache: OrderedDict[Key, Typeset] = OrderedDict()

    def document(self, formulas: list[Key]) -> dict[Key, Typeset]:
        """Every formula of a document, typeset (in order, each once)."""
        keys = list(dict.fromkeys(formulas))
        found = {key: self._cache[key] for key in keys if key in self._cache}
        missing = [key for key in keys if key not in found]
        if len(missing) >= SHARED and self.workers is not None:
            half = len(missing) // 2
            theirs = self.workers.submit(MATH, _typeset_all, missing[half:])
            made = _typeset_all(missing[:half]) + theirs()
        else:
            made = _typeset_all(missing)
        found.update(zip(missing, made, strict=True))
        for key in keys:  # most recently used last; the oldest go first
            self._cache[key] = found[key]
            self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return {key: found[key] for key in keys}


def characters(formulas: dict[tuple[str, bool], Typeset]) -> str:
    """The characters a document's formulas set as text (for its math font subset)."""
    return "".join(sorted({c for t in formulas.values() for c in t.characters}))
