"""The sheet's fonts, embedded: NanumGothic (Hangul and Latin, OFL, shipped in derive/fonts)
and STIX Two Math (the formulas, and symbols such as − ∂ η in text; shipped with ziamath).

Each is cut down to the characters the sheet uses and inlined as a data: URI, so the HTML is
one self-contained file and the PDF names exactly these fonts, whatever the machine has.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from importlib import resources
from pathlib import Path

from derive.typeset.mathsvg import FAMILY as MATH_FAMILY

FAMILY, SYMBOLS, MATH = "NanumGothic", "STIXTwoMathSymbols", MATH_FAMILY
# what STIX draws even where NanumGothic has a glyph: Greek, ×, primes, sub- and superscripts
# (¹²³ too), arrows, math operators (NanumGothic's are undersized or missing, U+2212 among them)
SYMBOL_RANGES = (
    (0x00B2, 0x00B3),  # ² ³ (10⁻³¹ in a table: NanumGothic's are small and out of line)
    (0x00B9, 0x00B9),  # ¹
    (0x00D7, 0x00D7),
    (0x0370, 0x03FF),
    (0x2032, 0x2033),
    (0x2070, 0x209F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2713, 0x2713),  # ✓ (a feedback sheet's verdict; NanumGothic has none)
)
UNICODE_RANGE = ", ".join(
    f"U+{lo:04X}" if lo == hi else f"U+{lo:04X}-{hi:04X}" for lo, hi in SYMBOL_RANGES
)
ALWAYS = "0123456789.,:;()[]+−-=/×·'′ ≈…"


def _nanum(weight: str) -> Path:
    return Path(str(resources.files("derive").joinpath(f"fonts/NanumGothic{weight}.ttf")))


def _stix() -> Path:
    from derive.typeset.mathsvg import font_path

    return font_path()


@functools.lru_cache(maxsize=32)
def _subset(path: Path, characters: str) -> str:
    """The font reduced to `characters`, as base64 TrueType (deterministic bytes)."""
    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep copyright and licence names
    options.notdef_outline = True
    options.layout_features = ["*"]
    font = subset.load_font(str(path), options)
    font.recalcTimestamp = False  # no "modified now": same input, same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _faces(text: str, math: str) -> list[tuple[str, int, Path, str, str]]:
    """(family, weight, file, characters, extra descriptors) of every face."""
    characters = "".join(sorted(set(text + ALWAYS) - set("\n\r\t")))
    # spaces too: a space between two symbols is set in the symbols' font
    symbols = " \u00a0" + "".join(
        c for c in characters if any(lo <= ord(c) <= hi for lo, hi in SYMBOL_RANGES)
    )
    ranged = f" unicode-range: {UNICODE_RANGE};"
    return [
        (FAMILY, 400, _nanum(""), characters, ""),
        (FAMILY, 700, _nanum("Bold"), characters, ""),
        (SYMBOLS, 400, _stix(), symbols, ranged),
        (SYMBOLS, 700, _stix(), symbols, ranged),
        (MATH, 400, _stix(), "".join(sorted(set(math))), ""),
    ]


def _rule(family: str, weight: int, extra: str, source: str) -> str:
    return (
        f"@font-face {{ font-family: '{family}'; font-weight: {weight}; font-style: normal;"
        f"{extra} src: {source} format('truetype'); }}"
    )


def _inlined(faces: list[tuple[str, int, Path, str, str]]) -> str:
    return "\n".join(
        _rule(family, weight, extra, f"url('data:font/ttf;base64,{_subset(path, chars)}')")
        for family, weight, path, chars, extra in faces
    )


def words_css(text: str) -> str:
    """@font-face rules, fonts inlined and cut down to the characters of `text`, for the words
    (the slow part: it can run in another process while formulas are typeset)."""
    return _inlined(_faces(text, "")[:4])


def math_css(math: str) -> str:
    """The same for the formulas' font, cut down to the characters they set as text."""
    return _inlined(_faces("", math)[4:])


def linked_css() -> str:
    """@font-face rules naming the font files, for WeasyPrint, which cuts them down itself
    (quicker than parsing them inlined)."""
    return "\n".join(
        _rule(family, weight, extra, f"url('{path.resolve().as_uri()}')")
        for family, weight, path, _, extra in _faces("", "")
    )
