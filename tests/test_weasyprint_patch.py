"""The WeasyPrint patch draws every glyph of a sheet where WeasyPrint's own code draws it: the
same glyphs in the same order, each within a hundredth of a point; and a WeasyPrint version it
was not written for is left as released."""

from __future__ import annotations

import importlib
import io
from importlib import metadata
from pathlib import Path
from unittest import mock

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from derive.sheet import Sheet
from derive.typeset import weasyprint_patches
from derive.typeset.fonts import linked_css
from derive.typeset.html import HtmlRenderer
from derive.typeset.pdf import PdfWriter

# slow (renders sheets both ways): make test-fast leaves it out
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
Glyph = tuple[int, float, float]  # glyph id, x, y on the page (points)


def multiply(a: list[float], b: list[float]) -> list[float]:
    """PDF matrices [a b c d e f]: a then b."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _widths(font: dict) -> tuple[dict[int, float], float]:
    """A Type0 font's glyph widths (its descendant's W array) and default width."""
    descendant = font["/DescendantFonts"][0].get_object()
    widths: dict[int, float] = {}
    table = list(descendant.get("/W", []))
    i = 0
    while i < len(table):
        first = int(table[i])
        if isinstance(table[i + 1].get_object(), list):
            for k, width in enumerate(table[i + 1].get_object()):
                widths[first + k] = float(width)
            i += 2
        else:
            for gid in range(first, int(table[i + 1]) + 1):
                widths[gid] = float(table[i + 2])
            i += 3
    return widths, float(descendant.get("/DW", 1000))


def glyphs(pdf: bytes) -> list[Glyph]:
    """Where every glyph of the PDF is drawn: a small interpreter of the operators WeasyPrint
    writes (q Q cm BT Tm Tf Ts TJ Tj)."""
    out: list[Glyph] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"]
        ctm, stack = [1.0, 0, 0, 1, 0, 0], []
        tm, size, rise, widths = [1.0, 0, 0, 1, 0, 0], 1.0, 0.0, ({}, 1000.0)
        for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
            op = operator.decode()
            if op == "q":
                stack.append(ctm)
            elif op == "Q":
                ctm = stack.pop()
            elif op == "cm":
                ctm = multiply([float(v) for v in operands], ctm)
            elif op == "BT":
                tm = [1.0, 0, 0, 1, 0, 0]
            elif op == "Tm":
                tm = [float(v) for v in operands]
            elif op == "Tf":
                widths, size = _widths(fonts[operands[0]].get_object()), float(operands[1])
            elif op == "Ts":
                rise = float(operands[0])
            elif op in ("TJ", "Tj"):
                items = operands[0] if op == "TJ" else [operands[0]]
                for item in items:
                    if isinstance(item, int | float) or hasattr(item, "as_numeric"):
                        tm = multiply([1, 0, 0, 1, -float(item) / 1000 * size, 0], tm)
                        continue
                    data = bytes(item.original_bytes if hasattr(item, "original_bytes") else item)
                    for k in range(0, len(data), 2):
                        gid = int.from_bytes(data[k : k + 2], "big")
                        x, y = multiply([1, 0, 0, 1, 0, rise], multiply(tm, ctm))[4:]
                        out.append((gid, round(x, 3), round(y, 3)))
                        advance = widths[0].get(gid, widths[1]) / 1000 * size
                        tm = multiply([1, 0, 0, 1, advance, 0], tm)
    return out


def _pdf(spec: str, lang: str) -> bytes:
    renderer = HtmlRenderer()
    document = Sheet(ROOT / "examples" / spec, lang=lang).document
    html = renderer.render(document, "", renderer.formulas(document), css="")
    return PdfWriter().write((html, linked_css() + "\n" + str(renderer.css)))


def _own_drawing(spec: str, lang: str) -> bytes:
    """The sheet's PDF as WeasyPrint draws it, the patch kept off."""
    weasyprint_patches.uninstall()
    try:
        with mock.patch.object(weasyprint_patches, "install", return_value=False):
            return _pdf(spec, lang)
    finally:
        weasyprint_patches.install()


def _worst_shift(a: list[Glyph], b: list[Glyph]) -> float:
    assert len(a) == len(b) > 1000
    assert [g for g, _, _ in a] == [g for g, _, _ in b]
    return max(max(abs(p[1] - q[1]), abs(p[2] - q[2])) for p, q in zip(a, b, strict=True))


PATCHED = pytest.mark.skipif(
    not weasyprint_patches.fits(), reason="WeasyPrint is not the pinned version"
)


@PATCHED
@pytest.mark.parametrize(
    ("spec", "lang"), [("layer_bias_2-2-2.toml", "en"), ("classifier_3-4-3.toml", "ko")]
)
def test_glyphs_land_where_weasyprint_puts_them(spec: str, lang: str) -> None:
    shift = _worst_shift(glyphs(_pdf(spec, lang)), glyphs(_own_drawing(spec, lang)))
    assert shift < 0.01, f"a glyph moved by {shift} pt"


@PATCHED
def test_a_misplaced_glyph_is_seen() -> None:
    """The check above can fail: glyph widths off by a fifth of a pixel move glyphs."""
    width = weasyprint_patches._width
    with mock.patch.object(weasyprint_patches, "_width", lambda *a: width(*a) + 200):
        shifted = glyphs(_pdf("seed.toml", "en"))
    assert _worst_shift(shifted, glyphs(_own_drawing("seed.toml", "en"))) > 0.05


def test_other_weasyprint_versions_are_left_as_released() -> None:
    weasyprint_patches.uninstall()
    weasyprint_patches.fits.cache_clear()
    try:
        with mock.patch.object(metadata, "version", return_value="71.0"):
            assert not weasyprint_patches.fits()
            assert not weasyprint_patches.install()
        svg = importlib.import_module("weasyprint.svg")
        assert svg.TAGS["text"] is importlib.import_module("weasyprint.svg.text").text
    finally:
        weasyprint_patches.fits.cache_clear()
        weasyprint_patches.install()


def test_constraints_pin_the_version_the_patch_was_written_for() -> None:
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["weasyprint"] == weasyprint_patches.WRITTEN_FOR


def test_text_in_tspans_is_drawn_as_weasyprint_draws_it() -> None:
    # WeasyPrint draws <text>, <tspan>, <a> and <textPath> with one function: the patch
    # stands for it at every tag (else a <tspan> fails, and the rest of its SVG is lost)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">'
        '<text x="10" y="20" font-family="NanumGothic">ab<tspan>cd</tspan></text>'
        '<text x="10" y="40" font-family="NanumGothic">ef<a>gh</a></text></svg>'
    )
    html = f"<p>{svg}</p>"
    css = linked_css() + " body { font-family: NanumGothic }"
    patched = PdfWriter().write((html, css))
    weasyprint_patches.uninstall()
    try:
        own = PdfWriter().write((html, css))
    finally:
        weasyprint_patches.install()
    text = PdfReader(io.BytesIO(patched)).pages[0].extract_text()
    assert [w for w in "abcdefgh" if w not in text] == []
    assert glyphs(patched) == glyphs(own)
