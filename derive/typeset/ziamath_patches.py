"""derive's patches to ziamath and ziafont, applied only to the versions they were written for.

Five patches, all reaching into private code (docs/ziamath-upstream.md: the upstream change
each amounts to):

- four speed patches (same SVG, typesetting 2–3× faster): ziamath's style parser no longer
  deep-copies the parent style per node, and reads the node's and its parent's attributes from
  one merged dict rather than a ChainMap; a size such as "thinmathspace" is converted to pixels
  once per font size, not once per node; and a row lays out a second time, for the height
  of its stretchy brackets, only the children that hold something that can stretch (ziamath
  lays out every child twice, and nested rows made that 2^depth layouts);
- glyphs as text: while a formula is drawn, a glyph that stands for one character is placed as
  SVG <text> in the math font rather than as an outline. This one changes the SVG on purpose:
  WeasyPrint draws the math about twice as fast, the PDF is a quarter of the size, and the math
  can be selected and extracted as text.

A release may rework that code without notice, and a speed patch that no longer matches what it
replaces could size formulas wrongly without failing. So a patch applies only when the installed
ziamath and ziafont are exactly WRITTEN_FOR (the versions constraints.txt pins) and what it
replaces still has the expected shape (the row layout, rewritten whole, the very source it
was written from). Otherwise ziamath runs as released: slower, and every
glyph an outline (the sheet's math font face is then unused). The layout, and so each formula's
size, is ziamath's own either way.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import inspect
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from typing import Any

WRITTEN_FOR = {"ziamath": "0.13", "ziafont": "0.11"}
# the source of ziamath 0.13's Mrow._setup_single_line, which _single_line_laid_out_once rewrites
SINGLE_LINE_SOURCE = "c19cff633739827c"

# (owner, attribute) → ziamath's own value, while a speed patch replaces it
_ORIGINALS: dict[tuple[object, str], Any] = {}

_SCRIPT_CANDIDATES = (
    "0123456789+-=()'′″‴abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u2212"
    + "".join(chr(c) for c in range(0x1D434, 0x1D468))  # math italic A–Z, a–z
)


def _versions_match() -> bool:
    try:
        return all(metadata.version(name) == version for name, version in WRITTEN_FOR.items())
    except metadata.PackageNotFoundError:
        return False


def parameters(function: Any) -> list[str] | None:
    """The parameter names of `function`, None when it is not a plain function (how a patch
    checks that what it replaces still has the shape it was written for)."""
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None


def _source_digest(function: Any) -> str | None:
    """The start of the sha256 of a function's source: a patch that rewrites a whole function
    applies only over the very code it was written from."""
    try:
        return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]
    except (OSError, TypeError):
        return None


def _own(owner: object, name: str) -> Any:
    """The library's own attribute, even while a speed patch replaces it."""
    return _ORIGINALS.get((owner, name), getattr(owner, name, None))


@functools.cache
def speed_patches_fit() -> bool:
    """Whether the speed patches match the installed ziamath (checked once)."""
    if not _versions_match():
        return False
    from ziamath import operators, styles
    from ziamath.nodes.mnode import Mnode
    from ziamath.nodes.mrow import Mrow

    return (
        _own(styles, "asdict") is dataclasses.asdict
        and _own(styles, "ChainMap") is collections.ChainMap
        and parameters(_own(Mnode, "size_px")) == ["self", "size", "fontsize"]
        and dataclasses.is_dataclass(getattr(styles, "MathStyle", None))
        and _source_digest(_own(Mrow, "_setup_single_line")) == SINGLE_LINE_SOURCE
        and parameters(getattr(operators, "get_params", None)) == ["name", "form"]
    )


@functools.cache
def text_glyphs_fit() -> bool:
    """Whether placing glyphs as text matches the installed ziafont (checked once)."""
    if not _versions_match():
        return False
    from ziafont import font, glyph, gsub, svgpath

    simple = glyph.SimpleGlyph
    return (
        parameters(simple.place) == ["self", "x", "y", "point_size"]
        and isinstance(inspect.getattr_static(simple, "char", None), property)
        and callable(getattr(svgpath, "fmt", None))
        and callable(getattr(font.Font, "glyphindex", None))
        and parameters(getattr(gsub.Gsub, "sub", None)) == ["self", "glyphids", "features"]
    )


def install() -> bool:
    """Apply the speed patches where they fit; whether they are on. Idempotent."""
    if not speed_patches_fit():
        return False
    if not _ORIGINALS:
        from ziamath import styles
        from ziamath.nodes.mnode import Mnode
        from ziamath.nodes.mrow import Mrow

        _replace(styles, "asdict", _shallow_asdict)
        _replace(styles, "ChainMap", _merged)
        _replace(Mnode, "size_px", _memoized_size(Mnode.size_px))
        _replace(Mrow, "_setup_single_line", _single_line_laid_out_once)
    return True


def uninstall() -> None:
    """Put ziamath's own code back (the golden test typesets both ways)."""
    for (owner, name), original in _ORIGINALS.items():
        setattr(owner, name, original)
    _ORIGINALS.clear()


def _replace(owner: object, name: str, value: object) -> None:
    _ORIGINALS[owner, name] = getattr(owner, name)
    setattr(owner, name, value)


def _shallow_asdict(style: object) -> dict[str, Any]:
    """parse_style reads a few plain fields of the parent style through dataclasses.asdict,
    which deep-copies it for each of the ~300 nodes of a formula: a third of the time.
    A shallow view reads the same values."""
    return dict(vars(style))


def _merged(*maps: Mapping[str, Any]) -> dict[str, Any]:
    """What parse_style reads through ChainMap(node's attributes, parent's style): the same
    values (the first map that has a key wins) as one dict, whose lookups are a tenth of the
    cost; parse_style only reads it."""
    merged: dict[str, Any] = {}
    for layer in reversed(maps):
        merged.update(layer)
    return merged


def _memoized_size(size_px: Callable[..., float]) -> Callable[..., float]:
    """size_px converts "thinmathspace", "0.2em", "3px" to pixels at a font size, building a
    table of named sizes on every call; the result depends on the two alone (the node gives
    only its glyph size, when no font size is passed)."""

    @functools.lru_cache(maxsize=1024)
    def convert(size: str, fontsize: float) -> float:
        return size_px(None, size, fontsize)

    def patched(self: Any, size: str, fontsize: float | None = None) -> float:
        return convert(size, self.glyphsize if fontsize is None else fontsize)

    return patched


def _single_line_laid_out_once(self: Any, line: list[ET.Element], **kwargs: Any) -> None:
    """ziamath's Mrow._setup_single_line (ziamath 0.13), laying each child out once where it
    can. ziamath lays out every child of a row twice: first a copy, nothing stretched, to
    learn how tall the row's stretchy brackets must be; nested rows make that 2^depth
    layouts. A child with nothing in it that can stretch comes out the same either way (the
    row's height is read by stretchy operators only), so it is laid out once, in order, its
    height taken from that layout. What a node reads of the nodes before it (whether there is
    one, its tag and text: a little space before a fraction or a fence) is the same in a
    measured copy as in the node it stands for."""
    from ziafont.fonttypes import BBox
    from ziamath.nodes.mnode import Mnode
    from ziamath.nodes.nodetools import elementtext

    children = [c for c in line if not (c.tag == "mo" and elementtext(c) == "")]
    stretchy = [_may_stretch(child) for child in children]
    kept: dict[int, Any] = {}
    rowymin, rowymax = 0.0, 0.0
    if any(stretchy):
        rowymin, rowymax = 9999.0, -9999.0
        measuring = {**kwargs, "nostretch": True}
        for k, child in enumerate(children):
            if stretchy[k]:  # measured on a copy (laying out writes to the element)
                copied = ET.fromstring(ET.tostring(child))
                node = Mnode.fromelement(copied, parent=self, **measuring)
            else:
                node = kept[k] = Mnode.fromelement(child, parent=self, **kwargs)
            self.nodes.append(node)  # what the next child reads as its left sibling
            rowymin, rowymax = min(rowymin, node.bbox.ymin), max(rowymax, node.bbox.ymax)
        self.nodes = []
    kwargs["rowymin"], kwargs["rowymax"] = rowymin, rowymax
    ymin, ymax = 9999.0, -9999.0
    x = xmin = xmax = 0.0
    for k, child in enumerate(children):
        node = kept[k] if k in kept else Mnode.fromelement(child, parent=self, **kwargs)
        self.nodes.append(node)
        self.nodexy.append((x, 0))
        xmax = max(xmax, x + node.bbox.xmax)
        xmin = min(nxy[0] + n.bbox.xmin for nxy, n in zip(self.nodexy, self.nodes))
        ymin, ymax = min(ymin, node.bbox.ymin), max(ymax, node.bbox.ymax)
        x += node.xadvance()
    self.bbox = BBox(xmin, xmax, ymin, ymax)
    self._xadvance = x


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


@functools.cache
def _script_variants(font: Any) -> dict[int, str]:
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
def glyphs_as_text(seen: set[str]) -> Iterator[None]:
    """While ziamath draws, place single-character glyphs as <text> instead of <path>, adding
    each character to `seen` (the math font is cut down to those). Where this does not fit the
    installed ziafont, every glyph stays an outline."""
    if not text_glyphs_fit():
        yield
        return
    from ziafont import glyph
    from ziafont.svgpath import fmt

    place = glyph.SimpleGlyph.place

    def as_text(
        self: glyph.SimpleGlyph, x: float, y: float, point_size: float
    ) -> ET.Element | None:
        chars = self.char or {_script_variants(self.font).get(self.index, "")} - {""}
        if len(chars) != 1 or next(iter(chars)).isspace():
            return place(self, x, y, point_size)  # stretched delimiters, radicals: outlines
        element = ET.Element("text", {"x": fmt(x), "y": fmt(y), "font-size": fmt(point_size)})
        element.text = next(iter(chars))
        seen.add(element.text)
        return element

    glyph.SimpleGlyph.place = as_text
    try:
        yield
    finally:
        glyph.SimpleGlyph.place = place
